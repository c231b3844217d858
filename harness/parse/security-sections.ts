// Board scripts of the security suite print `@@name` section markers, so one round trip answers several questions.

export function splitSections(text: string): { sections: Map<string, string>; complete: boolean } {
  const sections = new Map<string, string[]>();
  let cur: string[] | undefined;
  let complete = false;
  for (const line of text.split('\n')) {
    const m = /^@@([a-z0-9-]+)$/.exec(line);
    if (m) {
      if (m[1] === 'end') complete = true;
      sections.set(m[1]!, (cur = []));
    } else cur?.push(line);
  }
  return { sections: new Map([...sections].map(([k, v]) => [k, v.join('\n')])), complete };
}

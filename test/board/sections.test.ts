// The board-script protocol, written once: markers, the end marker, and what a cut-off script looks like.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { garbled, mark, markLiteral, parseSections, sectionScript } from '../../harness/board/sections.ts';

describe('board script sections', () => {
  it('a script built here, run by a real shell, parses back into its sections', async () => {
    const script = sectionScript([`${mark('one')}; echo a; echo b`, `${mark('pid', '42 $(echo mnt:[1])')}; echo argv0`, `${mark('empty')}`, markLiteral('file', '/x/$(reboot) y')]);
    const r = await execa('sh', ['-c', script]);
    const s = parseSections(r.stdout);
    expect(s.complete).toBe(true);
    expect(s.text('one')).toBe('a\nb');
    expect(s.list.find((x) => x.name === 'pid')).toEqual({ name: 'pid', args: ['42', 'mnt:[1]'], lines: ['argv0'] });
    expect(s.text('empty')).toBe('');
    // a value of ours is printed as it is, never expanded by the board's shell
    expect(s.list.find((x) => x.name === 'file')?.args).toEqual(['/x/$(reboot)', 'y']);
    expect(s.text('absent')).toBeUndefined();
  });

  it('is complete only when `@@end` is the last line printed', () => {
    expect(parseSections('@@service\n5555\n@@persist\n\n@@tcp\nx\n@@end\n').complete).toBe(true);
    expect(parseSections('@@service\n5555\n').complete).toBe(false);
    expect(parseSections('@@end\nmore output after the end\n').complete).toBe(false);
    expect(parseSections('').complete).toBe(false);
  });

  it('drops text before the first marker and keeps lines that only look like markers', () => {
    const s = parseSections('noise\n@@a\n@@ not a marker\nx\n@@end');
    expect(s.list.map((x) => x.name)).toEqual(['a', 'end']);
    expect(s.lines('a')).toEqual(['@@ not a marker', 'x']);
  });

  it('tells garbled output from text', () => {
    expect(garbled('cpu 1\nmemory 2\n')).toBe(false);
    expect(garbled('cpu 1\u0000\u00ff\ufffd')).toBe(true);
  });
});

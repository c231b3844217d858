// A profile's waivers for one check: option-level ones narrow a set, one without an option waives the whole check.
import type { Profile } from '../profiles/schema.ts';

export function waiversFor(profile: Profile, checkId: string): { options: { option: string; reason: string }[]; whole?: string } {
  const mine = profile.waivers.filter((w) => w.check === checkId);
  return {
    options: mine.filter((w) => w.option).map((w) => ({ option: w.option!, reason: w.reason })),
    whole: mine.find((w) => !w.option)?.reason,
  };
}

// The patch formats in isolation: kubectl's strategic-merge directives and RFC 6902 edge cases.
import { describe, expect, it } from 'vitest';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../lab/control-plane/patch.ts';
import { parseLabelSelector } from '../../lab/control-plane/selectors.ts';

describe('strategic merge patch', () => {
  const pod = {
    spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1', env: [{ name: 'X', value: '1' }] }] },
    metadata: { finalizers: ['f1'], labels: { keep: 'y', drop: 'z' } },
  };

  it('merges lists by their merge key and ignores $setElementOrder', () => {
    const out = strategicMergePatch(pod, {
      spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b', image: 'b:2' }] },
    }) as typeof pod;
    expect(out.spec.containers).toEqual([{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2', env: [{ name: 'X', value: '1' }] }]);
  });

  it('honours $patch: delete in list items, null deletes keys, $deleteFromPrimitiveList, merged finalizers', () => {
    const out = strategicMergePatch(pod, {
      spec: { containers: [{ name: 'a', $patch: 'delete' }] },
      metadata: { labels: { drop: null }, finalizers: ['f2'], '$deleteFromPrimitiveList/finalizers': ['f1'] },
    }) as typeof pod;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['b']);
    expect(out.metadata.labels).toEqual({ keep: 'y' });
    expect(out.metadata.finalizers).toEqual(['f2']);
  });

  it('replaces lists without a merge key, unlike merge patch which always replaces', () => {
    expect(strategicMergePatch({ spec: { args: ['a', 'b'] } }, { spec: { args: ['c'] } })).toEqual({ spec: { args: ['c'] } });
    expect(mergePatch(pod, { spec: { containers: [{ name: 'c' }] } })).toMatchObject({ spec: { containers: [{ name: 'c' }] } });
  });
});

describe('JSON patch', () => {
  it('applies add/remove/replace/move/copy/test in order', () => {
    const out = jsonPatch({ a: [1, 2], b: { c: 1 } }, [
      { op: 'add', path: '/a/-', value: 3 },
      { op: 'add', path: '/a/0', value: 0 },
      { op: 'remove', path: '/a/1' },
      { op: 'replace', path: '/b/c', value: 2 },
      { op: 'copy', from: '/b', path: '/d' },
      { op: 'move', from: '/b/c', path: '/e~1f' },
      { op: 'test', path: '/d/c', value: 2 },
    ]);
    expect(out).toEqual({ a: [0, 2, 3], b: {}, d: { c: 2 }, 'e/f': 2 });
  });

  it('fails with 422 on a failed test or a missing path', () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(expect.objectContaining({ code: 422 }));
    expect(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }])).toThrow(expect.objectContaining({ code: 422 }));
  });
});

describe('label selector parsing', () => {
  it('rejects malformed selectors with 400', () => {
    expect(() => parseLabelSelector('a in x')).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => parseLabelSelector('=b')).toThrow(expect.objectContaining({ code: 400 }));
    expect(parseLabelSelector('a in (x, y),!b')).toEqual([{ key: 'a', op: 'in', values: ['x', 'y'] }, { key: 'b', op: 'notexists' }]);
  });
});

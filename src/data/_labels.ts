/**
 * Helpers shared by the loaders: turning raw label strings into class indices.
 */

/**
 * Maps raw class names to indices: `normal` at 0, then the names of `order` (all of them, or only those that
 * occur when `onlyPresent`), then names outside `order` in order of first appearance.
 * @param names one (already normalised) class name per row.
 * @returns the per-row class index and the class name list.
 */
export function indexClasses(
  names: readonly string[],
  order: readonly string[],
  onlyPresent: boolean,
): { multiclass: Int32Array; classNames: string[] } {
  const present = new Set(names);
  const classNames = ['normal'];
  for (const c of order) if (c !== 'normal' && (!onlyPresent || present.has(c))) classNames.push(c);
  const index = new Map(classNames.map((c, i) => [c, i]));
  const multiclass = new Int32Array(names.length);
  for (let i = 0; i < names.length; i++) {
    let c = index.get(names[i]);
    if (c === undefined) {
      c = classNames.length;
      classNames.push(names[i]);
      index.set(names[i], c);
    }
    multiclass[i] = c;
  }
  return { multiclass, classNames };
}

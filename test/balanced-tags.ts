/**
 * Test helper for generated HTML/SVG: checks that markup is a balanced tree of elements.
 */
import { expect } from 'vitest';

/**
 * Checks that `markup` is a balanced tree of elements: every start tag is closed in order, self-closing and
 * `voids` elements stand alone, and no raw `<` or `>` appears outside tags (a `<style>` block's content is
 * ignored). Returns the element names seen, in order.
 */
export function balancedTags(markup: string, voids: readonly string[] = []): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const body = markup.replace(/<style>[^<]*<\/style>/, '<style></style>');
  const tagRe = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>|<!DOCTYPE html>/g;
  let last = 0;
  for (let m = tagRe.exec(body); m !== null; m = tagRe.exec(body)) {
    expect(body.slice(last, m.index), `text before ${m[0]}`).not.toMatch(/[<>]/);
    last = tagRe.lastIndex;
    if (m[2] === undefined) continue;
    const [, closing, name, , selfClosing] = m;
    if (closing === '/') {
      expect(stack.pop(), `closing </${name}>`).toBe(name);
    } else {
      names.push(name);
      if (selfClosing !== '/' && !voids.includes(name)) stack.push(name);
    }
  }
  expect(body.slice(last)).not.toMatch(/[<>]/);
  expect(stack).toEqual([]);
  return names;
}

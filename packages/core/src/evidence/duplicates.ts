import { pointerTo } from './errors.js';

/**
 * The JSON pointer of the first member name repeated within one object of `text`, or null.
 * RFC 8259 leaves duplicate names to the implementation (JSON.parse keeps the last), so
 * signed content with duplicates can mean different things to different verifiers: Charter
 * refuses it. `text` must already be valid JSON (JSON.parse accepted it). Names compare after
 * unescaping ("a" and "\u0061" are the same name). Iterative: any depth JSON.parse accepts.
 */
export function firstDuplicateMember(text: string): string | null {
  type Frame = { object: true; pointer: string; names: Set<string>; expectName: boolean; name: string } | { object: false; pointer: string; index: number };
  const stack: Frame[] = [];
  const childPointer = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.object ? pointerTo(top.pointer, top.name) : pointerTo(top.pointer, top.index);
  };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x7b: // {
        stack.push({ object: true, pointer: childPointer(), names: new Set(), expectName: true, name: '' });
        i++;
        break;
      case 0x5b: // [
        stack.push({ object: false, pointer: childPointer(), index: 0 });
        i++;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop();
        i++;
        break;
      case 0x2c: {
        // ,
        const top = stack[stack.length - 1]!;
        if (top.object) top.expectName = true;
        else top.index++;
        i++;
        break;
      }
      case 0x22: {
        // "
        let j = i + 1;
        let escaped = false;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === 0x5c) {
            escaped = true;
            j += 2;
            continue;
          }
          if (d === 0x22) break;
          j++;
        }
        const top = stack[stack.length - 1];
        if (top?.object && top.expectName) {
          const name = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
          if (top.names.has(name)) return pointerTo(top.pointer, name);
          top.names.add(name);
          top.name = name;
          top.expectName = false;
        }
        i = j + 1;
        break;
      }
      default:
        i++;
    }
  }
  return null;
}

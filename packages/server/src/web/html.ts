/**
 * HTML that is safe by construction: every value interpolated into `html` is escaped unless it
 * is itself `Html` (the output of another `html` template or of `join`). Data never becomes
 * markup by accident; the only way to emit raw text is `trusted`, which is for constants.
 */
export class Html {
  readonly #text: string;

  private constructor(text: string) {
    this.#text = text;
  }

  /** Wraps markup written in this code base (constants such as the stylesheet), never data. */
  static trusted(text: string): Html {
    return new Html(text);
  }

  toString(): string {
    return this.#text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for element content and for quoted attribute values alike. */
export function escape(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

/** A value interpolated into a template: Html as is, arrays joined, null/undefined/false as nothing, the rest escaped. */
export type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map((v: Value) => render(v)).join('');
  if (value === null || value === undefined || value === false) return '';
  return escape(value);
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return Html.trusted(out);
}

export function join(parts: readonly Value[], separator: Value = ''): Html {
  return Html.trusted(parts.map((p) => render(p)).join(render(separator)));
}

/** An href only for http(s) URLs; anything else (javascript:, data:) is shown as text, never linked. */
export function safeUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
  } catch {
    return null;
  }
}

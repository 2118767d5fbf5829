// Terraform resource addresses: `module.a["x.y"].module.b[0].aws_iam_role.r["k"]`. Keys may hold dots,
// quotes and brackets, so the address is tokenised, never split on ".".

export interface ModuleStep {
  name: string;
  /** The instance key as written (`"x.y"`, `0`), when the call uses count or for_each. */
  key?: string;
}

/** Module steps of a module address (`module.a["k"].module.b`); undefined when it does not parse. */
export function parseModulePath(address: string): ModuleStep[] | undefined {
  const steps: ModuleStep[] = [];
  let i = 0;
  while (i < address.length) {
    if (!address.startsWith('module.', i)) return undefined;
    i += 7;
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(address.slice(i));
    if (!m) return undefined;
    const step: ModuleStep = { name: m[0] };
    i += m[0].length;
    if (address[i] === '[') {
      const end = keyEnd(address, i);
      if (end < 0) return undefined;
      step.key = address.slice(i + 1, end);
      i = end + 1;
    }
    steps.push(step);
    if (i < address.length) {
      if (address[i] !== '.') return undefined;
      i++;
    }
  }
  return steps;
}

/** Index of the `]` closing the key that opens at `open`, skipping quoted text with escapes. */
function keyEnd(s: string, open: number): number {
  let i = open + 1;
  if (s[i] === '"') {
    i++;
    while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
    i++;
  } else while (i < s.length && s[i] !== ']') i++;
  return s[i] === ']' ? i : -1;
}

/** The key as a value: `"x.y"` -> x.y, `0` -> 0. */
export function keyValue(key: string | number | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (typeof key === 'number') return String(key);
  if (key.startsWith('"')) {
    try {
      return String(JSON.parse(key));
    } catch {
      return key.slice(1, -1);
    }
  }
  return key;
}

/** An address's instance key rendered as Terraform writes it. */
export function renderKey(index: unknown): string {
  if (index === undefined || index === null) return '';
  return typeof index === 'number' ? `[${index}]` : `[${JSON.stringify(String(index))}]`;
}

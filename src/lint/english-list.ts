/** Names joined for a finding's message: `a`, `a and b`, `a, b and c` (every dialect's rules use it). */
export const listOf = (names: string[]): string => (names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);

// The path rules the path-set tests hold CommittedPaths to: which bytes a path element may hold,
// the longest path, and the definition of a clean path.

export const ACCEPTED = new Uint8Array(256);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_@') ACCEPTED[c.charCodeAt(0)] = 1;
export const MAX = 40;
/** The definition of a clean path. */
export const clean = (p: string): boolean => p.length <= MAX && /^(?:\/[A-Za-z0-9\-_@]+)+$/.test(p);

// binary-parser 2.3.0 ships its types at dist/binary_parser.d.ts but does not point its
// package.json at them; this ambient module does. (A tsconfig `paths` entry would do the same
// for tsc but makes tsx resolve the import to the .d.ts at run time.)
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}

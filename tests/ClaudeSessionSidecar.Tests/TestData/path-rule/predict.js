#!/usr/bin/env node
// Predicts the Claude Code CLI (2.1.328) project folder name for a working directory.
// Rule (measured): take the REAL path (symlinks resolved, = init `cwd`); replace every UTF-16
// code unit outside [A-Za-z0-9] with '-'; if the result is longer than 200 code units, keep the
// first 200 and append '-' + Math.abs(javaHash(realPath)).toString(36), where javaHash is
// h = (31*h + codeUnit) | 0 over the UTF-16 code units of the real (un-encoded) path.
// Usage: node predict.js PATH [PATH...]   (prints the predicted name; does NOT resolve symlinks)
//        require('./predict.js').predict(realPath)
'use strict';
const MAX = 200;

function javaHash(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0; // 32-bit wrap
  return h; // signed int32
}

function encode(s) {
  return s.replace(/[^A-Za-z0-9]/g, '-'); // JS strings are UTF-16: an emoji gives two '-'
}

function predict(realPath) {
  const enc = encode(realPath);
  if (enc.length <= MAX) return enc;
  // Math.abs in JS works on doubles: abs(-2147483648) = 2147483648 -> "zik0zk" (no '-' sign)
  return enc.slice(0, MAX) + '-' + Math.abs(javaHash(realPath)).toString(36);
}

module.exports = { predict, javaHash, encode, MAX };

if (require.main === module) {
  for (const p of process.argv.slice(2)) console.log(predict(p));
}

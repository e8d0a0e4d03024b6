import fs from 'node:fs'; import path from 'node:path';
// Usage: node craft-transcripts.mjs <config-dir>  (writes <config-dir>/projects/-work-scratch-crafted/*.jsonl; expected SDK results: FINDINGS.md)
const cfg = process.argv[2]; if (!cfg) { console.error('usage: node craft-transcripts.mjs <config-dir>'); process.exit(2); }
const pd = path.join(cfg, 'projects', '-work-scratch-crafted'); fs.mkdirSync(pd, {recursive:true});
let n = 0; const id = (k) => `00000000-0000-4000-8000-${String(k).padStart(12,'0')}`;
const u = (uuid, parent, content, extra={}) => ({parentUuid: parent, isSidechain:false, type:'user', message:{role:'user', content}, uuid, timestamp:`2026-01-01T00:00:0${n++%10}.000Z`, cwd:'/work/scratch/crafted', sessionId:'S', gitBranch:'main', entrypoint:'cli', ...extra});
const a = (uuid, parent, text, extra={}) => ({parentUuid: parent, isSidechain:false, type:'assistant', message:{id:'msg_'+uuid.slice(-4), role:'assistant', content:[{type:'text', text}]}, uuid, timestamp:'2026-01-01T00:00:09.000Z', sessionId:'S', ...extra});
const files = {};
const w = (k, lines, mtime) => { const sid = id(k); const f = path.join(pd, sid+'.jsonl'); fs.writeFileSync(f, lines.map(l => typeof l === 'string' ? l : JSON.stringify({...l, ...(l.sessionId==='S'?{sessionId:sid}:{})})).join('\n') + '\n'); if (mtime) fs.utimesSync(f, mtime/1000, mtime/1000); files[k]=sid; };
const T = 1700000000000;
// 1: skip meta, command, tool_result, <tags>, interrupted -> real prompt
w(1, [
  u(id(101), null, 'meta caveat', {isMeta:true}),
  u(id(102), id(101), '<command-name>/model</command-name>\n<command-message>model</command-message>'),
  u(id(103), id(102), [{type:'tool_result', tool_use_id:'t', content:'x'}]),
  u(id(104), id(103), '<local-command-stdout>hi</local-command-stdout>'),
  u(id(105), id(104), '[Request interrupted by user]'),
  u(id(106), id(105), [{type:'text', text:'  '}, {type:'text', text:'real\nprompt  '}]),
  a(id(107), id(106), 'ok'),
], T+1000);
// 2: only a command -> fallback to command name
w(2, [u(id(201), null, '<command-name>/clear</command-name>'), a(id(202), id(201), 'ok')], T+2000);
// 3: bash input
w(3, [u(id(301), null, '<bash-input>ls -la</bash-input>')], T+3000);
// 4: long prompt
w(4, [u(id(401), null, 'x'.repeat(250))], T+4000);
// 5: no user, summary line only
w(5, [{type:'summary', summary:'A summary line', leafUuid:id(999)}], T+5000);
// 6: nothing extractable -> not listed
w(6, [a(id(601), null, 'only assistant')], T+6000);
// 7: sidechain first line -> not listed
w(7, [u(id(701), null, 'side', {isSidechain:true})], T+7000);
// 8: big file: custom-title + tag only in head, padding > 64KB, then prompts
const pad = []; for (let i=0;i<40;i++) pad.push(a(id(8000+i), i?id(8000+i-1):id(801), 'p'.repeat(3000)));
w(8, [u(id(801), null, 'first of big'), {type:'custom-title', customTitle:'Head Title', sessionId:'S'}, {type:'tag', tag:'headtag', sessionId:'S'}, ...pad, {type:'last-prompt', lastPrompt:'last of big', sessionId:'S'}], T+8000);
// 9: ai-title and last-prompt
w(9, [u(id(901), null, 'nine first'), {type:'ai-title', aiTitle:'AI made title', sessionId:'S'}, {type:'last-prompt', lastPrompt:'nine last', sessionId:'S'}], T+9000);
// 10: image only
w(10, [u(id(1001), null, [{type:'image', source:{type:'base64', media_type:'image/png', data:'AAAA'}}])], T+10000);
// 11 & 12: same mtime -> tie-break by sessionId
w(11, [u(id(1101), null, 'tie eleven')], T+20000);
w(12, [u(id(1201), null, 'tie twelve')], T+20000);
// 13: sdk entrypoint (programmatic)
w(13, [u(id(1301), null, 'from sdk', {entrypoint:'sdk-ts'})], T+13000);
// 14: empty custom title after a real one -> falls through
w(14, [u(id(1401), null, 'fourteen'), {type:'custom-title', customTitle:'Old', sessionId:'S'}, {type:'custom-title', customTitle:'', sessionId:'S'}], T+14000);
// 15: branching: two children of the first assistant; the later branch wins; a trailing non-message entry
w(15, [u(id(1501), null, 'root q'), a(id(1502), id(1501), 'root a'), u(id(1503), id(1502), 'branch A q'), a(id(1504), id(1503), 'branch A a'), u(id(1505), id(1502), 'branch B q'), a(id(1506), id(1505), 'branch B a'), {type:'system', subtype:'informational', content:'note', uuid:id(1507), parentUuid:id(1504), timestamp:'2026-01-01T00:00:09.500Z', sessionId:'S', isSidechain:false}], T+15000);
// 16: sidechain child after main branch + meta user on chain
w(16, [u(id(1601), null, 'q1'), a(id(1602), id(1601), 'a1'), u(id(1603), id(1602), 'meta on chain', {isMeta:true}), u(id(1604), id(1603), 'q2'), a(id(1605), id(1604), 'a2'), u(id(1606), id(1605), 'side q', {isSidechain:true})], T+16000);
// 17: pasted content + CRLF-ish + leading spaces
w(17, [u(id(1701), null, '   \n  hello\r\nworld  ')], T+17000);
// 18: empty file, 19: non-uuid name
fs.writeFileSync(path.join(pd, id(18)+'.jsonl'), '');
fs.writeFileSync(path.join(pd, 'not-a-uuid.jsonl'), JSON.stringify(u(id(1901), null, 'bad name'))+'\n');
// 20: prompt with leading xml-ish text but not a tag (e.g. "<3 you")
w(20, [u(id(2001), null, '<3 you'), u(id(2002), id(2001), 'second')], T+18000);
// 21: first prompt that starts with a lowercase tag e.g. <foo> then text -> skipped
w(21, [u(id(2101), null, '<foo>bar</foo> text'), u(id(2102), id(2101), 'after tag')], T+19000);
// 22: daemon sessionKind
w(22, [u(id(2201), null, 'daemon prompt', {sessionKind:'daemon'})], T+21000);
// 23: no cwd, no timestamp fields at all
w(23, [{type:'user', message:{role:'user', content:'bare'}, uuid:id(2301), parentUuid:null}], T+22000);
console.log(JSON.stringify(files));

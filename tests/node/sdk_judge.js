// Postman's Collection SDK as a judge: one JSON document per input line, one verdict per output line.
//   input:  {"kind": "collection" | "environment", "doc": ...}
//   output: {"ok": true, "items": N, "requests": N, "examples": N}                  (collection)
//           {"ok": true, "variables": N, "named": N}                                 (environment)
//           {"ok": false, "error": "..."}                                          (the SDK threw)
// A collection is what `new Collection(doc)` makes of it (the Postman API's {"collection": {...}}
// wrapper unwrapped first); an environment is what `new VariableScope(doc)` makes of it.
// usage: node tests/node/sdk_judge.js < inputs.jsonl
'use strict';

const readline = require('readline');
const { Collection, VariableScope } = require('postman-collection');

function collection(doc) {
    if (doc && typeof doc === 'object' && !Array.isArray(doc) && doc.collection &&
            typeof doc.collection === 'object' && !('info' in doc)) {
        doc = doc.collection;
    }
    const c = new Collection(doc);
    let requests = 0;
    let examples = 0;
    c.forEachItem((item) => {
        requests += 1;
        examples += item.responses.count();
    });
    return { ok: true, items: c.items.count(), requests, examples };
}

function environment(doc) {
    const scope = new VariableScope(doc);
    const all = scope.values.all();
    // `named`: variables a lookup can find (a text or number key that is not empty).
    const named = all.filter((v) => (typeof v.key === 'string' && v.key !== '') || typeof v.key === 'number').length;
    return { ok: true, variables: all.length, named };
}

const judges = { collection, environment };

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
    let verdict;
    try {
        const input = JSON.parse(line);
        verdict = judges[input.kind](input.doc);
    } catch (e) {
        verdict = { ok: false, error: String(e && e.message ? e.message : e).slice(0, 300) };
    }
    process.stdout.write(JSON.stringify(verdict) + '\n');
});

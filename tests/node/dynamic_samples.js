// Samples every dynamic variable of the installed Postman Collection SDK, as Postman makes them.
// usage: node dynamic_samples.js COUNT  ->  {"$name": {"types": [...], "values": [...]}, ...}
// The SDK's file and MIME type generators take about 12 ms a value: they get COUNT / 10.
const path = require('path');
const sdk = path.dirname(require.resolve('postman-collection/package.json'));
const variables = require(path.join(sdk, 'lib', 'superstring', 'dynamic-variables.js'));
// The SDK's own faker instance, seeded per variable so that the samples are the same every run.
const faker = require(require.resolve('@faker-js/faker/locale/en', { paths: [sdk] }));
const SLOW = /^\$random(Common)?(File|Mime)/;

const count = parseInt(process.argv[2] || '200', 10);
const out = {};
for (const [name, { generator }] of Object.entries(variables)) {
    const types = new Set();
    const values = [];
    faker.seed(7);
    for (let i = 0; i < (SLOW.test(name) ? Math.ceil(count / 10) : count); i++) {
        const value = generator();
        types.add(value instanceof Date ? 'date' : typeof value);
        values.push(String(value));  // what the SDK's substitution inserts
    }
    out[name] = { types: [...types].sort(), values };
}
process.stdout.write(JSON.stringify(out));

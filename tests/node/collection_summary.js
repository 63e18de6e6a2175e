// Load a collection file with the Postman Collection SDK and print what the SDK sees as JSON,
// so a Python test can compare it with what postmock exported.
// usage: node tests/node/collection_summary.js FILE
'use strict';

const fs = require('fs');
const { Collection, Item } = require('postman-collection');

const json = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const collection = new Collection(json);

function folders(group) {
    let n = 0;
    group.items.each((child) => {
        if (!Item.isItem(child)) {
            n += 1 + folders(child);
        }
    });
    return n;
}

const items = [];
collection.forEachItem((item) => {
    items.push({
        name: item.name,
        method: item.request.method,
        url: item.request.url.toString(),
        headers: item.request.headers.all().map((h) => ({ key: h.key, value: h.value, disabled: Boolean(h.disabled) })),
        bodyMode: item.request.body ? item.request.body.mode : null,
        auth: item.request.auth ? item.request.auth.type : null,
        events: item.events.count(),
        responses: item.responses.map((r) => ({
            id: r.id,
            name: r.name,
            code: r.code,
            status: r.status,
            body: r.body === undefined ? null : r.body,
            headers: r.headers.all().map((h) => ({ key: h.key, value: h.value })),
            originalUrl: r.originalRequest ? r.originalRequest.url.toString() : null,
            originalMethod: r.originalRequest ? r.originalRequest.method : null,
        })),
    });
});

process.stdout.write(JSON.stringify({
    id: collection.id,
    name: collection.name,
    folders: folders(collection),
    variables: collection.variables.all().map((v) => ({ key: v.key, value: v.value })),
    auth: collection.auth ? collection.auth.type : null,
    events: collection.events.count(),
    items,
}, null, 2) + '\n');

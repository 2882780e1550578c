'use strict';
// A fastify server for the compatibility tests (its node_modules come from package-lock.json by
// npm ci). Routes: GET / answers {"hello":"world"}; GET /items/:id an item computed from its id;
// POST /echo returns its JSON body, validated by a schema; GET /report?ms=N runs buildReport on the
// event loop for N ms (a route that blocks). Usage: node server.js PORT

const fastify = require('fastify')({ logger: false });

function buildReport(ms) {
  const end = Date.now() + ms;
  let h = 0;
  while (Date.now() < end) for (let i = 0; i < 1000; i++) h = (h * 31 + i) >>> 0;
  return h;
}

fastify.get('/', async () => ({ hello: 'world' }));

fastify.get('/items/:id', {
  schema: { params: { type: 'object', properties: { id: { type: 'integer', minimum: 0 } } } },
}, async (req) => {
  const id = req.params.id;
  return { id, name: `item-${id}`, tags: Array.from({ length: id % 5 }, (_, i) => `t${i}`) };
});

fastify.post('/echo', {
  schema: {
    body: {
      type: 'object', required: ['msg'],
      properties: { msg: { type: 'string' }, n: { type: 'integer' } },
    },
  },
}, async (req) => req.body);

fastify.get('/report', async (req) => {
  const ms = Number(req.query.ms) || 0;
  buildReport(ms);
  return { report: 'done', ms };
});

const port = Number(process.argv[2]);
fastify.listen({ port, host: '127.0.0.1' }).then(() => console.log(`listening on ${port}`));
const stop = () => fastify.close().then(() => console.log('bye'));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

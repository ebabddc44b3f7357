// A tiny HTTP server for the `web` example vassal: answers every request with a greeting.
import { createServer } from 'node:http';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8765);
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`hello from pid ${process.pid} (instance ${process.env.EMPEROR_INSTANCE ?? '?'})\n`);
});
server.listen(port, host, () => console.log(`listening on http://${host}:${port}/`));
// Finish in-flight requests on SIGTERM, as a well-behaved vassal should.
process.on('SIGTERM', () => server.close(() => process.exit(0)));

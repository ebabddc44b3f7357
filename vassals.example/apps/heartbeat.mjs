// A worker for the example vassals: logs a heartbeat, and re-reads its settings on SIGHUP.
const every = Number(process.env.HEARTBEAT_MS ?? 5000);
const name = `${process.env.EMPEROR_VASSAL ?? 'worker'}[${process.env.EMPEROR_INSTANCE ?? 0}]`;
let beats = 0;
console.log(`${name} started, pid ${process.pid}, beating every ${every} ms`);
setInterval(() => console.log(`${name} heartbeat ${++beats}`), every);
process.on('SIGHUP', () => console.log(`${name} got SIGHUP: reloading settings`));
process.on('SIGTERM', () => {
  console.log(`${name} stopping after ${beats} beats`);
  process.exit(0);
});

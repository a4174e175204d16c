// Starts kinesalite on 127.0.0.1 through its programmatic API (its CLI binds every interface).
// Usage: node kinesalite.js PORT DATA_DIR   (module resolution through NODE_PATH)
// DATA_DIR holds its LevelDB store (kinesalite's persistence); the server stops on SIGTERM/SIGINT.
'use strict';
const kinesalite = require('kinesalite');

const port = parseInt(process.argv[2], 10);
const path = process.argv[3];
if (!port || !path) {
  console.error('usage: node kinesalite.js PORT DATA_DIR');
  process.exit(2);
}
const server = kinesalite({
  path,
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: 20000,
});
server.listen(port, '127.0.0.1', () => console.log(`kinesalite on 127.0.0.1:${port}, data in ${path}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

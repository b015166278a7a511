// A plain aedes broker on 127.0.0.1:PORT for mqttbench's integration tests,
// started by tests/brokers/aedes.sh with default options, as a user would.
//   node server.js PORT NODE_MODULES_DIR
// aedes is loaded from NODE_MODULES_DIR (the npm ci cache, outside the repo).
// Prints "listening PORT" once it accepts connections; SIGTERM closes it.
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [port, modules] = process.argv.slice(2)
if (!port || !modules) {
  console.error('usage: node server.js PORT NODE_MODULES_DIR')
  process.exit(2)
}
const entry = createRequire(join(modules, 'x.js')).resolve('aedes')
const { Aedes } = await import(pathToFileURL(entry).href)

const aedes = await Aedes.createBroker()
const server = createServer(aedes.handle)
server.on('error', (err) => {
  console.error(`aedes: ${err.message}`)
  process.exit(1)
})
server.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`))

function stop () {
  server.close()
  aedes.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

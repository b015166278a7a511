'use strict';
// pub.js — MQTT.js publisher for bench/peers.sh.
//
//   node pub.js NODE_MODULES HOST PORT TOPIC COUNT SIZE QOS
//
// Publishes COUNT messages of SIZE bytes at QOS as fast as MQTT.js lets it,
// the way MQTT.js's own benchmark does: the next publish when the previous
// one's callback ran. At QoS 0 that callback runs once the packet is written
// to the socket stream, or after its 'drain' when the stream is full (stream
// backpressure); at QoS 1 and 2 it runs at the PUBACK / PUBCOMP, so one
// message is in flight (MQTT.js's default). Then disconnects. Prints:
//   role=pub messages=N seconds=S msgs_per_s=R start_s=A end_s=B startup_cpu_s=C
// start_s: the first publish call; end_s: the last callback (CLOCK_MONOTONIC).
// startup_cpu_s: CPU before it connected (see sub.js).
// Exit status: 0 done, 1 error.
const path = require('path');

const [modules, host, port, topic, countArg, sizeArg, qosArg] = process.argv.slice(2);
if (!qosArg) {
  process.stderr.write('usage: node pub.js NODE_MODULES HOST PORT TOPIC COUNT SIZE QOS\n');
  process.exit(2);
}
const mqtt = require(path.join(modules, 'mqtt'));
const count = Number(countArg);
const payload = Buffer.alloc(Number(sizeArg), 'a');
const opts = { qos: Number(qosArg) };
const cpu = process.cpuUsage();
const startupCpu = (cpu.user + cpu.system) / 1e6;
const now = () => Number(process.hrtime.bigint()) / 1e9;

let sent = 0;
let completed = 0;
let tStart = 0;
let tEnd = 0;
let done = false;

function fail(msg) {
  process.stderr.write(`pub.js: ${msg}\n`);
  process.exit(1);
}

function finish() {
  done = true;
  tEnd = now();
  client.end(false, () => {
    const seconds = tEnd - tStart;
    const rate = seconds > 0 ? count / seconds : 0;
    process.stdout.write(`role=pub messages=${count} seconds=${seconds.toFixed(6)} ` +
      `msgs_per_s=${rate.toFixed(0)} start_s=${tStart.toFixed(6)} end_s=${tEnd.toFixed(6)} ` +
      `startup_cpu_s=${startupCpu.toFixed(6)}\n`);
    process.exit(0);
  });
}

// Publish until a callback does not run at once, then resume from it.
function pump() {
  while (sent < count) {
    sent++;
    let inline = true;
    let ran = false;
    client.publish(topic, payload, opts, (err) => {
      if (err) fail(`publish: ${err.message}`);
      completed++;
      if (inline) {
        ran = true;
      } else if (completed === count) {
        finish();
      } else {
        pump();
      }
    });
    inline = false;
    if (!ran) return;
  }
  if (completed === count) finish();
}

const client = mqtt.connect({ host, port: Number(port), protocolVersion: 4, clean: true, reconnectPeriod: 0 });
client.on('error', (err) => fail(`connection: ${err.message}`));
client.on('close', () => { if (!done) fail(`broker closed the connection after ${completed} of ${count} messages`); });
client.once('connect', () => {
  tStart = now();
  pump();
});

'use strict';
// sub.js — MQTT.js subscriber for bench/peers.sh.
//
//   node sub.js NODE_MODULES HOST PORT TOPIC COUNT QOS TIMEOUT_S READY_FILE
//
// Subscribes to TOPIC at QOS, creates READY_FILE after the SUBACK, then counts
// messages until COUNT arrived or none came for TIMEOUT_S seconds. Prints one
// line on stdout:
//   role=sub messages=M seconds=S msgs_per_s=R start_s=A end_s=B startup_cpu_s=C
// start_s/end_s: the first and the last message, on CLOCK_MONOTONIC (Node's
// hrtime), the clock bench/probe prints too. When fewer than COUNT arrived,
// end_s is read by a 0.1 s timer, so it may be late by that much.
// startup_cpu_s: this process's CPU before it connected (Node's start-up and
// loading MQTT.js), which bench/peers.sh leaves out of the client's CPU.
// Exit status: 0 done (also after the timeout with >= 1 message), 1 error.
const path = require('path');
const fs = require('fs');

const [modules, host, port, topic, countArg, qosArg, timeoutArg, readyFile] = process.argv.slice(2);
if (!readyFile) {
  process.stderr.write('usage: node sub.js NODE_MODULES HOST PORT TOPIC COUNT QOS TIMEOUT_S READY_FILE\n');
  process.exit(2);
}
const mqtt = require(path.join(modules, 'mqtt'));
const count = Number(countArg);
const qos = Number(qosArg);
const timeoutMs = Number(timeoutArg) * 1000;
const cpu = process.cpuUsage();
const startupCpu = (cpu.user + cpu.system) / 1e6;
const now = () => Number(process.hrtime.bigint()) / 1e9;

let received = 0;
let tFirst = 0;
let tLast = 0;
let seen = 0;        // received at the last timer tick
let seenAt = now();  // when the timer last saw it change
let done = false;

function fail(msg) {
  process.stderr.write(`sub.js: ${msg}\n`);
  process.exit(1);
}

function finish() {
  if (done) return;
  done = true;
  const seconds = received > 1 ? tLast - tFirst : 0;
  const rate = seconds > 0 ? received / seconds : 0;
  process.stdout.write(`role=sub messages=${received} seconds=${seconds.toFixed(6)} ` +
    `msgs_per_s=${rate.toFixed(0)} start_s=${tFirst.toFixed(6)} end_s=${tLast.toFixed(6)} ` +
    `startup_cpu_s=${startupCpu.toFixed(6)}\n`);
  if (received < count) {
    process.stderr.write(`sub.js: no message for ${timeoutArg} s: received ${received} of ${count}\n`);
  }
  client.end(true, () => process.exit(received > 0 ? 0 : 1));
}

const client = mqtt.connect({ host, port: Number(port), protocolVersion: 4, clean: true, reconnectPeriod: 0 });
client.on('error', (err) => fail(`connection: ${err.message}`));
client.on('close', () => { if (!done) fail(`broker closed the connection after ${received} of ${count} messages`); });
client.on('message', () => {
  received++;
  if (received === 1) tFirst = now();
  if (received === count) {
    tLast = now();
    finish();
  }
});
client.on('connect', () => {
  client.subscribe(topic, { qos }, (err) => {
    if (err) fail(`subscribe: ${err.message}`);
    fs.writeFileSync(readyFile, '');
    process.stderr.write('ready\n');
    seenAt = now();
    const timer = setInterval(() => {
      const t = now();
      if (received !== seen) {
        seen = received;
        seenAt = t;
      } else if (t - seenAt >= timeoutMs / 1000) {
        clearInterval(timer);
        tLast = seenAt;
        finish();
      }
    }, 100);
  });
});

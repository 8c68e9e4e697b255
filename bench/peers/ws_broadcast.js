#!/usr/bin/env node
// Reference WebSocket price broadcaster for botcore-load: the /ws price-channel protocol of
// Bot Core on the npm `ws` package. Every --tick-ms each symbol's price takes a random step;
// the message is serialised once and sent to each subscriber of prices:<symbol>.
//
//   node bench/peers/ws_broadcast.js [--port 8090] [--host 127.0.0.1] [--tick-ms 100]
//                                    [--symbols 20] [--max-buffered-bytes 1048576]
//                                    [--max-seconds 3600]
//
// It exits by itself after --max-seconds; SIGINT/SIGTERM close every client with 1012 first.
'use strict';

const { WebSocketServer, WebSocket } = require('ws');

const SERVER_SYMBOLS = [
  'BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT', 'AVAXUSDT',
  'DOTUSDT', 'LINKUSDT', 'MATICUSDT', 'LTCUSDT', 'TRXUSDT', 'ATOMUSDT', 'UNIUSDT', 'ETCUSDT',
  'XLMUSDT', 'NEARUSDT', 'APTUSDT', 'FILUSDT',
];

function parseArgs(argv) {
  const options = {
    port: 8090,
    host: '127.0.0.1',
    'tick-ms': 100,
    symbols: 20,
    'max-buffered-bytes': 1 << 20,
    'max-seconds': 3600,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = Number(argv[i + 1]);
    if (!(name in options) || argv[i + 1] === undefined) {
      throw new Error(`unknown or incomplete option ${argv[i]}`);
    }
    if (name === 'host') {
      options.host = argv[i + 1];
    } else if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`${argv[i]} needs a positive number`);
    } else {
      options[name] = value;
    }
  }
  return options;
}

function symbolNames(count) {
  const names = SERVER_SYMBOLS.slice(0, count);
  for (let i = names.length; i < count; i += 1) names.push(`SYM${i + 1}USDT`);
  return names;
}

function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`ws_broadcast: ${error.message}`);
    process.exit(2);
  }

  // channel name -> { symbol, price, subscribers }
  const channels = new Map();
  for (const symbol of symbolNames(options.symbols)) {
    const price = 100 + Math.random() * 900;
    channels.set(`prices:${symbol}`, { symbol, price, subscribers: new Set() });
  }

  const server = new WebSocketServer({
    host: options.host,
    port: options.port,
    path: '/ws',
    backlog: 4096, // bursts of connects during a ramp
    perMessageDeflate: false,
    clientTracking: true,
    maxPayload: 64 * 1024,
  });

  const sendJson = (ws, value) => ws.send(JSON.stringify(value));

  server.on('connection', (ws) => {
    ws.subscriptions = new Set();
    ws.isAlive = true;
    ws.on('pong', () => { ws.isAlive = true; });
    ws.on('message', (data, isBinary) => {
      let request;
      try {
        request = isBinary ? null : JSON.parse(data.toString());
      } catch {
        request = null;
      }
      if (!request || request.type !== 'subscribe' || !Array.isArray(request.channels)) {
        const message = 'expected {"type":"subscribe","channels":[...]}';
        sendJson(ws, { type: 'error', code: 'bad_request', message });
        return;
      }
      const accepted = request.channels.filter((name) => channels.has(name));
      for (const name of accepted) {
        channels.get(name).subscribers.add(ws);
        ws.subscriptions.add(name);
      }
      sendJson(ws, { type: 'subscribed', channels: accepted });
      if (accepted.length < request.channels.length) {
        const message = 'some channels do not exist';
        sendJson(ws, { type: 'error', code: 'unknown_channel', message });
      }
    });
    ws.on('close', () => {
      for (const name of ws.subscriptions) channels.get(name).subscribers.delete(ws);
      ws.subscriptions.clear();
    });
    ws.on('error', () => {});
  });

  // Each symbol ticks once per tick-ms, the symbols spread evenly over the interval, as Bot
  // Core's simulator does; ts_ms is the tick's time, so latency includes the whole fan-out.
  const timers = [];
  const tickChannel = (channel) => {
    channel.price *= 1 + (Math.random() - 0.5) * 0.002;
    if (channel.subscribers.size === 0) return;
    const message = Buffer.from(JSON.stringify({
      type: 'price', symbol: channel.symbol, price: channel.price.toFixed(2), ts_ms: Date.now(),
    }));
    for (const ws of channel.subscribers) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > options['max-buffered-bytes']) {
        ws.close(1008, 'too slow');
        continue;
      }
      ws.send(message, { binary: false });
    }
  };
  [...channels.values()].forEach((channel, i, all) => {
    const offset = Math.floor((i * options['tick-ms']) / all.length);
    timers.push(setTimeout(() => {
      timers.push(setInterval(() => tickChannel(channel), options['tick-ms']));
    }, offset));
  });

  // Pings as the real server sends them; a peer that missed the last one is dropped.
  const heartbeat = setInterval(() => {
    for (const ws of server.clients) {
      if (!ws.isAlive) {
        ws.terminate();
        continue;
      }
      ws.isAlive = false;
      ws.ping();
    }
  }, 20000);

  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    for (const timer of timers) clearInterval(timer);
    clearInterval(heartbeat);
    for (const ws of server.clients) ws.close(1012, 'server restarting');
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  setTimeout(stop, Math.min(options['max-seconds'] * 1000, 2 ** 31 - 1)).unref();

  server.on('listening', () => {
    const where = `ws://${options.host}:${options.port}/ws`;
    console.log(`ws_broadcast: ${where}, ${channels.size} symbols every ${options['tick-ms']} ms`);
  });
  server.on('error', (error) => {
    console.error(`ws_broadcast: ${error.message}`);
    process.exit(1);
  });
}

main();

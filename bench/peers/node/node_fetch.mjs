// Peer `node-fetch`: what a Node application without an SDK writes: the global fetch (undici;
// keep-alive by default, no connection limit per origin) and `eventsource-parser` (the SSE
// parser under the Vercel AI SDK and many others), JSON.parse per event.
//
//     node node_fetch.mjs --base-url http://127.0.0.1:PORT --concurrency 64 --per-stream 10 --events 20
import { createParser } from 'eventsource-parser';

import { API_KEY, BODY, MODEL, parse_args, run_job } from './job.mjs';

const args = parse_args('node_fetch.mjs');
const url = `${args.base_url}/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`;
const init = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': API_KEY },
    body: BODY,
};

await run_job('node-fetch', args, async (on_event) => {
    const response = await fetch(url, init);
    if (response.status !== 200) {
        await response.arrayBuffer();   // drain it so the connection can be reused
        throw new Error(`HTTP ${response.status}`);
    }
    let bad = null;
    const parser = createParser({
        onEvent(event) {
            try {
                const parts = JSON.parse(event.data).candidates?.[0]?.content?.parts ?? [];
                let text = '';
                for (const p of parts) {
                    if (typeof p.text === 'string') text += p.text;
                }
                on_event(text);
            } catch (e) {
                bad ??= e;
            }
        },
    });
    const decoder = new TextDecoder();
    for await (const bytes of response.body) {
        parser.feed(decoder.decode(bytes, { stream: true }));
    }
    parser.feed(decoder.decode());
    if (bad !== null) throw bad;
});

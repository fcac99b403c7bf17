// Peer `genai-sdk`: the official @google/genai SDK (version locked in package-lock.json) on
// Node, as an application uses it: ai.models.generateContentStream(), then `for await` over
// the chunks. The SDK fetches with Node's global fetch (undici, keep-alive) and parses the
// SSE stream and each event's JSON itself; we read the text of candidates[0].content.parts.
//
//     node genai_sdk.mjs --base-url http://127.0.0.1:PORT --concurrency 64 --per-stream 10 --events 20
import { GoogleGenAI } from '@google/genai';

import { API_KEY, MODEL, PROMPT, parse_args, run_job } from './job.mjs';

const args = parse_args('genai_sdk.mjs');
// vertexai: false and the key given here, so the environment (GEMINI_API_KEY,
// GOOGLE_GENAI_USE_VERTEXAI) cannot change what is measured. The SDK does not retry by default.
const ai = new GoogleGenAI({ vertexai: false, apiKey: API_KEY, httpOptions: { baseUrl: args.base_url } });
const contents = [{ role: 'user', parts: [{ text: PROMPT }] }];

await run_job('genai-sdk', args, async (on_event) => {
    const stream = await ai.models.generateContentStream({ model: MODEL, contents });
    for await (const chunk of stream) {
        const parts = chunk.candidates?.[0]?.content?.parts ?? [];
        let text = '';
        for (const p of parts) {
            if (typeof p.text === 'string') text += p.text;
        }
        on_event(text);
    }
});

// The job every Node peer runs (bench/peers/README.md): C streams, R requests each, one after
// the other per stream; TTFT, pooled ITL, events, errors, the client's CPU; one JSON line.
//
// A peer supplies `request(on_event)`: send one streamGenerateContent request, call
// `on_event(text)` once per event after decoding its JSON (text = the concatenated text of
// candidates[0].content.parts), and resolve when the response has ended. It throws on any
// failure. The times are taken here, when on_event is called: the moment the application has
// the event's text, which is the same point the C++ and Python peers measure.
import { performance } from 'node:perf_hooks';

export const MODEL = 'gemini-2.0-flash';
export const API_KEY = 'test-key';
export const PROMPT = 'Say something.';
// The fixed body of every request (the SDK builds its own, equivalent one).
export const BODY = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: PROMPT }] }] });

export function parse_args(name) {
    const usage = `usage: ${name} --base-url URL --concurrency C --per-stream R --events E`;
    const a = { base_url: '', concurrency: 0, per_stream: 0, events: 0 };
    const argv = process.argv.slice(2);
    for (let i = 0; i < argv.length; i += 2) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (value === undefined) {
            console.error(usage);
            process.exit(2);
        }
        if (flag === '--base-url') a.base_url = value.replace(/\/+$/, '');
        else if (flag === '--concurrency') a.concurrency = Number(value);
        else if (flag === '--per-stream') a.per_stream = Number(value);
        else if (flag === '--events') a.events = Number(value);
        else {
            console.error(`unknown option ${flag}\n${usage}`);
            process.exit(2);
        }
    }
    if (!a.base_url || !(a.concurrency > 0) || !(a.per_stream > 0) || !(a.events > 0)) {
        console.error(usage);
        process.exit(2);
    }
    return a;
}

// Nearest-rank percentile of sorted samples.
function percentile(sorted, p) {
    if (sorted.length === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
    return sorted[rank - 1];
}
const round3 = (x) => (x === null ? null : Math.round(x * 1e3) / 1e3);
const round6 = (x) => Math.round(x * 1e6) / 1e6;

export async function run_job(peer, args, request) {
    const ttft = [];
    const itl = [];
    let events = 0;
    let errors = 0;
    let first_error = null;

    async function one_stream() {
        for (let r = 0; r < args.per_stream; ++r) {
            const start = performance.now();
            let last = 0;
            let seen = 0;
            let have_ttft = false;
            const on_event = (text) => {
                const now = performance.now();
                if (seen > 0) itl.push(now - last);
                if (!have_ttft && text.length > 0) {
                    ttft.push(now - start);
                    have_ttft = true;
                }
                last = now;
                seen += 1;
            };
            try {
                await request(on_event);
                if (seen !== args.events) throw new Error(`${seen} events, expected ${args.events}`);
            } catch (e) {
                errors += 1;
                if (first_error === null) first_error = e;
            }
            events += seen;
        }
    }

    // CPU and wall time of the job only: not Node's start-up nor the module loading.
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await Promise.all(Array.from({ length: args.concurrency }, one_stream));
    const wall = (performance.now() - wall0) / 1000;
    const cpu = process.cpuUsage(cpu0);

    if (first_error !== null) {
        console.error(`${peer}: ${errors} failed requests; the first: ${first_error && first_error.stack ? first_error.stack : first_error}`);
    }
    ttft.sort((x, y) => x - y);
    itl.sort((x, y) => x - y);
    console.log(JSON.stringify({
        peer,
        concurrency: args.concurrency,
        requests: args.concurrency * args.per_stream,
        events,
        errors,
        wall_s: round6(wall),
        cpu_user_s: round6(cpu.user / 1e6),
        cpu_sys_s: round6(cpu.system / 1e6),
        ttft_p50_ms: round3(percentile(ttft, 50)),
        ttft_p99_ms: round3(percentile(ttft, 99)),
        itl_p50_ms: round3(percentile(itl, 50)),
        itl_p99_ms: round3(percentile(itl, 99)),
    }));
}

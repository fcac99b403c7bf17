// The official @google/genai SDK against llmio-mock-server: does the SDK see the mock the way it
// sees the real service? Run by meson (tests/interop/meson.build):
//
//     node tests/interop/genai/fidelity.mjs build/tools/llmio-mock-server
//
// Prints one line per check ("ok ..." or "FAIL ..."), exits 1 when any failed, and 77 (meson's
// "skipped") when the SDK is not installed here (`npm ci` in this folder; scripts/install-deps
// does it).
//
// Each transport gets its own server, started with --api-key so that every request also proves
// the SDK's key header is the one the service reads:
//   plain  http://127.0.0.1:PORT, checked in this process;
//   tls    https://127.0.0.1:PORT with the certificate the server makes at start. Node reads
//          NODE_EXTRA_CA_CERTS only when it starts, so the checks run in a child process
//          (`--child`) given the server's --ca-out file; this process first checks that the SDK
//          refuses the same server without it (the TLS is verified, not bypassed).
//
// Where the expected text comes from: the mock's text is a deterministic function of the exact
// request body (mock_server::expected_text: an FNV-1a hash of the bytes picks the words). The
// script records the body the SDK hands to fetch (the bytes on the wire: a string, sent as UTF-8)
// and asks `llmio-mock-server --print-expected-text BODY` for the text. That is the function
// llmio's own tests compare with, evaluated apart from the server's answer path and from the
// SDK. Comparing the stream with the SDK's unary answer instead would be circular: an SDK or
// server defect shared by both paths (a dropped or doubled word, a wrong field read) would make
// both sides wrong in the same way and still pass.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SKIP = 77;

// Server options shared by the servers and by --print-expected-text (the text depends on them).
const EVENTS = 5;
const WORDS = 3;
const ITL_MS = 20;
const content_args = ['--events', String(EVENTS), '--words', String(WORDS)];
const API_KEY = 'llmio-interop-key';
const MODEL = 'gemini-2.0-flash';
const PROMPT = 'Write a haiku about HTTP/1.1 chunked transfer coding. Ünïcödé → stays UTF-8.';

const [mock_path, mode, child_base_url, child_label] = process.argv.slice(2);
if (!mock_path) {
    console.error('usage: node fidelity.mjs PATH/TO/llmio-mock-server');
    process.exit(2);
}

// The locked SDK says engines.node >= 20 (Debian 12's own nodejs is 18).
if (Number(process.versions.node.split('.')[0]) < 20) {
    console.log(`SKIP: node ${process.version} is older than 20, which @google/genai needs`);
    process.exit(SKIP);
}
if (!existsSync(join(here, 'node_modules', '@google', 'genai', 'package.json'))) {
    console.log(`SKIP: @google/genai is not installed in ${join(here, 'node_modules')}; ` +
                `run \`npm ci\` there (scripts/install-deps does it when the network allows)`);
    process.exit(SKIP);
}
const { GoogleGenAI, ApiError } = await import('@google/genai');
const sdk_version = JSON.parse(readFileSync(join(here, 'node_modules', '@google', 'genai', 'package.json'), 'utf8')).version;

// ---- Results -------------------------------------------------------------------------------
let failures = 0;
async function check(name, body) {
    try {
        const detail = await body();
        console.log(`ok   ${name}${detail ? ': ' + detail : ''}`);
    } catch (e) {
        failures += 1;
        console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    }
}

// ---- The bytes the SDK sends ---------------------------------------------------------------
// The SDK calls the global fetch when httpOptions.fetch is not given (and then adds its own
// undici dispatcher): wrapping the global keeps that path exactly as users get it.
const sent = [];
const real_fetch = globalThis.fetch;
globalThis.fetch = (url, init) => {
    sent.push({ url: String(url), body: init && init.body, headers: new Headers(init && init.headers) });
    return real_fetch(url, init);
};
function last_sent(endpoint) {
    const r = sent.findLast((s) => s.url.includes(`:${endpoint}`));
    assert.ok(r, `no ${endpoint} request was sent`);
    assert.equal(typeof r.body, 'string', 'the SDK sent a body that is not a string');
    return r;
}

function expected_text(body) {
    const r = spawnSync(mock_path, [...content_args, '--print-expected-text', body], { encoding: 'utf8' });
    if (r.status !== 0) {
        throw new Error(`${mock_path} --print-expected-text failed (${r.status}): ${r.stderr}`);
    }
    return r.stdout;
}

// ---- The mock server -----------------------------------------------------------------------
function start_server(extra) {
    return new Promise((resolve, reject) => {
        const proc = spawn(mock_path, ['--port', '0', '--api-key', API_KEY, '--itl-ms', String(ITL_MS),
                                       ...content_args, ...extra],
                           { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        const timer = setTimeout(() => { proc.kill('SIGTERM'); reject(new Error(`no "listening on" in 10 s: ${out}${err}`)); }, 10000);
        proc.stderr.on('data', (d) => { err += d; });
        proc.stdout.on('data', (d) => {
            out += d;
            const m = /listening on ([^\s:]+|\[[^\]]+\]):(\d+)/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ proc, host: m[1], port: Number(m[2]) });
            }
        });
        proc.on('error', (e) => { clearTimeout(timer); reject(e); });
        proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}: ${out}${err}`)); });
    });
}
async function stop_server(server) {
    if (server.proc.exitCode !== null) {
        return;
    }
    const done = new Promise((resolve) => server.proc.on('exit', resolve));
    server.proc.kill('SIGTERM');
    await done;
}

// ---- The checks ----------------------------------------------------------------------------
function client(base_url, api_key = API_KEY) {
    // vertexai: false and the key given here, so GOOGLE_GENAI_USE_VERTEXAI / GEMINI_API_KEY in
    // the environment cannot change what is tested. No retryOptions: the SDK's default is to
    // not retry, and a retry would hide what the first answer was.
    return new GoogleGenAI({ vertexai: false, apiKey: api_key, httpOptions: { baseUrl: base_url } });
}

function request(extra_headers) {
    const r = { model: MODEL, contents: PROMPT };
    if (extra_headers) {
        r.config = { httpOptions: { headers: extra_headers } };
    }
    return r;
}

// The SDK's ApiError carries `status` (the HTTP status) and `message`, which is
// JSON.stringify of the parsed error body (dist/node/index.mjs, throwErrorIfNotOK): parse it back
// to look at the envelope the SDK saw.
function envelope_of(e, status) {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${e && e.name}: ${e && e.message}`);
    assert.equal(e.status, status);
    const body = JSON.parse(e.message);
    assert.ok(body && body.error, `no error envelope in the message: ${e.message}`);
    assert.equal(body.error.code, status);
    return body.error;
}

async function expect_api_error(call, status) {
    try {
        await call();
    } catch (e) {
        return envelope_of(e, status);
    }
    assert.fail(`no error: expected ApiError ${status}`);
}

function check_quota_envelope(error, message) {
    assert.equal(error.status, 'RESOURCE_EXHAUSTED');
    assert.ok(message.includes('RESOURCE_EXHAUSTED'), 'RESOURCE_EXHAUSTED not in the message');
    const retry = (error.details || []).find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
    assert.ok(retry, `no RetryInfo in details: ${JSON.stringify(error.details)}`);
    assert.equal(retry.retryDelay, '2s');
    assert.ok(message.includes('"retryDelay":"2s"'), 'retryDelay "2s" not in the message');
    const quota = (error.details || []).find((d) => d['@type'] === 'type.googleapis.com/google.rpc.QuotaFailure');
    assert.ok(quota && quota.violations && quota.violations.some((v) => /PerMinute/.test(v.quotaId)),
              `no per-minute QuotaFailure: ${JSON.stringify(error.details)}`);
}

async function run_checks(label, base_url) {
    const ai = client(base_url);

    await check(`${label}: generateContentStream streams the mock's text`, async () => {
        const texts = [];
        const times = [];
        let last;
        for await (const chunk of await ai.models.generateContentStream(request())) {
            texts.push(chunk.text ?? '');
            times.push(performance.now());
            last = chunk;
        }
        const { url, body, headers } = last_sent('streamGenerateContent');
        assert.ok(url.startsWith(`${base_url}/v1beta/models/${MODEL}:streamGenerateContent`), url);
        assert.ok(/[?&]alt=sse(&|$)/.test(url), `alt=sse missing: ${url}`);
        assert.equal(headers.get('x-goog-api-key'), API_KEY);
        assert.ok(texts.length > 1, `only ${texts.length} chunk(s)`);
        assert.equal(texts.length, EVENTS);
        const expected = expected_text(body);
        assert.ok(expected.length > 0);
        assert.equal(texts.join(''), expected);
        assert.equal(last.candidates[0].finishReason, 'STOP');
        // Chunks are handed out as the events arrive, not after the body: the mock paces them
        // ITL_MS apart, (EVENTS - 1) gaps in all. Only one gap is demanded, so that a loaded
        // machine that stalls this process (and lets chunks pile up) does not fail the check.
        const spread = times[times.length - 1] - times[0];
        assert.ok(spread >= ITL_MS, `all chunks within ${spread.toFixed(1)} ms: buffered?`);
        return `${texts.length} chunks over ${spread.toFixed(0)} ms, ${expected.length} chars equal ` +
               `--print-expected-text of the ${Buffer.byteLength(body)}-byte body`;
    });

    await check(`${label}: generateContent returns the same text`, async () => {
        const response = await ai.models.generateContent(request());
        const { url, body } = last_sent('generateContent');
        assert.ok(url.startsWith(`${base_url}/v1beta/models/${MODEL}:generateContent`), url);
        const expected = expected_text(body);
        assert.equal(response.text, expected);
        assert.equal(response.candidates[0].finishReason, 'STOP');
        // The SDK builds the same body for both calls, so the streamed text is this text too.
        assert.equal(body, last_sent('streamGenerateContent').body);
        return `${expected.length} chars`;
    });

    for (const call of ['generateContentStream', 'generateContent']) {
        await check(`${label}: ${call} with quota_per_minute gives ApiError 429`, async () => {
            const req = request({ 'x-llmio-mock-fault': 'quota_per_minute' });
            let message;
            const error = await expect_api_error(async () => {
                try {
                    if (call === 'generateContent') {
                        await ai.models.generateContent(req);
                    } else {
                        for await (const _ of await ai.models.generateContentStream(req)) { /* none expected */ }
                    }
                } catch (e) {
                    message = e.message;
                    throw e;
                }
            }, 429);
            check_quota_envelope(error, message);
            return `status 429 ${error.status}, RetryInfo retryDelay ${JSON.stringify('2s')}`;
        });
    }

    await check(`${label}: a wrong API key gives ApiError 400 API_KEY_INVALID`, async () => {
        const wrong = client(base_url, 'not-the-key');
        let message;
        const error = await expect_api_error(async () => {
            try {
                await wrong.models.generateContent(request());
            } catch (e) {
                message = e.message;
                throw e;
            }
        }, 400);
        assert.equal(error.status, 'INVALID_ARGUMENT');
        assert.ok(message.includes('API_KEY_INVALID'), 'API_KEY_INVALID not in the message');
        const info = (error.details || []).find((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');
        assert.ok(info, `no ErrorInfo: ${JSON.stringify(error.details)}`);
        assert.equal(info.reason, 'API_KEY_INVALID');
        return 'status 400 INVALID_ARGUMENT, ErrorInfo reason API_KEY_INVALID';
    });
}

// ---- Child mode: the TLS checks with NODE_EXTRA_CA_CERTS set -------------------------------
if (mode === '--child') {
    await run_checks(child_label, child_base_url);
    process.exit(failures ? 1 : 0);
}

// ---- Main ----------------------------------------------------------------------------------
console.log(`@google/genai ${sdk_version} on node ${process.version}, mock ${mock_path}`);
const servers = [];
const scratch = mkdtempSync(join(tmpdir(), 'llmio-genai-'));
try {
    const plain = await start_server([]);
    servers.push(plain);
    await run_checks('plain', `http://${plain.host}:${plain.port}`);

    const ca_file = join(scratch, 'mock-ca.pem');
    const tls = await start_server(['--tls', '--ca-out', ca_file]);
    servers.push(tls);
    // 127.0.0.1, not localhost: the server listens on IPv4 only and the certificate names both.
    const tls_url = `https://127.0.0.1:${tls.port}`;

    await check('tls: without the CA the SDK refuses the certificate', async () => {
        const fetch_error = await client(tls_url).models.generateContent(request()).then(
            () => assert.fail('the request succeeded without trusting the mock CA'),
            (e) => e);
        assert.ok(!(fetch_error instanceof ApiError), `got an HTTP answer: ${fetch_error.message}`);
        const code = fetch_error.cause && fetch_error.cause.code;
        assert.ok(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(String(code)), `not a certificate error: ${code} ${fetch_error.cause}`);
        return String(code);
    });

    const env = { ...process.env, NODE_EXTRA_CA_CERTS: ca_file };
    delete env.NODE_TLS_REJECT_UNAUTHORIZED;
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), mock_path, '--child', tls_url, 'tls'],
                        { env, stdio: ['ignore', 'inherit', 'inherit'] });
    const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(signal ? 128 : c)));
    if (code !== 0) {
        failures += 1;
        console.log(`FAIL tls: the checks under NODE_EXTRA_CA_CERTS exited with ${code}`);
    }
} catch (e) {
    failures += 1;
    console.log(`FAIL setup: ${e && e.stack ? e.stack : e}`);
} finally {
    for (const s of servers) {
        await stop_server(s);
    }
    rmSync(scratch, { recursive: true, force: true });
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);

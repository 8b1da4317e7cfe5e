/**
 * Log integrity: the tamper-evident log's latest checkpoint (`GET /api/v1/log/checkpoint`, a C2SP signed note) and
 * the log's key (`GET /api/v1/log/key`: origin, ML-DSA-65 public key, key ID, verifier key string), with the
 * checkpoint's ML-DSA-65 signature verified in the browser (lib/log-verify.ts). The verifier key is editable, so an
 * operator can paste the key they obtained out of band instead of trusting the one this server publishes.
 * A 404 on the key route means the server runs without the log: "not configured".
 */
import { useCallback, useEffect, useState } from 'react';
import { ErrorLine, NotConfigured, Panel } from '../components/bits';
import { ApiError, isAbort } from '../lib/api';
import type { CheckpointVerification } from '../lib/log-verify';
import { int } from '../lib/format';
import type { LogKey } from '../lib/types';
import { useSession } from '../session-context';

type Loaded =
  | { kind: 'loading' }
  | { kind: 'absent' }
  | { kind: 'error'; message: string }
  | { kind: 'ok'; key: LogKey; note: string | null; fetchedMs: number };

/** The Log integrity view (`#/log`). */
export function LogIntegrityView() {
  const { session } = useSession();
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [vkey, setVkey] = useState('');
  const [result, setResult] = useState<CheckpointVerification | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [verifying, setVerifying] = useState(false);

  const load = useCallback(async () => {
    setResult(null);
    setProblem(null);
    try {
      const key = await session.get<LogKey>('/log/key');
      let note: string | null = null;
      try {
        note = await session.get<string>('/log/checkpoint', 'text');
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
      setLoaded({ kind: 'ok', key, note, fetchedMs: Date.now() });
      setVkey((v) => (v === '' ? key.vkey : v));
    } catch (e) {
      if (isAbort(e)) return;
      if (e instanceof ApiError && e.notConfigured) setLoaded({ kind: 'absent' });
      else setLoaded({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  }, [session]);

  useEffect(() => {
    void load();
  }, [load]);

  const verify = () => {
    if (loaded.kind !== 'ok' || loaded.note === null) return;
    setVerifying(true);
    setProblem(null);
    setResult(null);
    // The verifier (ML-DSA-65, SHA-256) is a separate chunk, loaded on first use; it runs in tens of milliseconds.
    const note = loaded.note;
    void import('../lib/log-verify')
      .then(({ verifyCheckpoint, FormatError }) => {
        try {
          setResult(verifyCheckpoint(note, vkey));
        } catch (e) {
          setProblem(e instanceof FormatError ? e.message : `verification failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      })
      .catch((e: unknown) => setProblem(`could not load the verifier: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => setVerifying(false));
  };

  // Verify automatically once the checkpoint and the published key are in.
  useEffect(() => {
    if (loaded.kind === 'ok' && loaded.note !== null && vkey === loaded.key.vkey && result === null && problem === null) verify();
  }, [loaded]);

  return (
    <>
      <h1 tabIndex={-1}>Log integrity</h1>
      {loaded.kind === 'loading' && <p className="muted" role="status">Loading the log key and checkpoint…</p>}
      {loaded.kind === 'absent' && <NotConfigured what="Tamper-evident log">This server runs without the log (GET /api/v1/log/key answered 404).</NotConfigured>}
      {loaded.kind === 'error' && <ErrorLine error={`Could not load the log: ${loaded.message}`} />}
      {loaded.kind === 'ok' && (
        <>
          <Panel title="Latest checkpoint">
            {loaded.note === null ? (
              <p className="muted">No checkpoint has been issued yet.</p>
            ) : (
              <>
                {result !== null && (
                  <dl className="kv">
                    <dt>Origin</dt>
                    <dd className="mono">{result.checkpoint.origin}</dd>
                    <dt>Tree size</dt>
                    <dd>{int(result.checkpoint.size)} entries</dd>
                    <dt>Root hash</dt>
                    <dd className="mono break">{result.checkpoint.rootHash}</dd>
                    <dt>Other signatures</dt>
                    <dd>{result.otherSignatures} (witness cosignatures, not verified here)</dd>
                  </dl>
                )}
                <details>
                  <summary>Signed note</summary>
                  <pre className="note" data-testid="checkpoint-note">{loaded.note}</pre>
                </details>
              </>
            )}
            <button type="button" className="secondary" onClick={() => void load()}>
              Reload
            </button>
          </Panel>
          <Panel title="Verify in this browser">
            <form
              className="stack"
              onSubmit={(e) => {
                e.preventDefault();
                verify();
              }}
            >
              <label htmlFor="vkey">Log verifier key (name+keyid+key)</label>
              <textarea id="vkey" className="mono" rows={3} spellCheck={false} value={vkey} onChange={(e) => setVkey(e.target.value)} />
              <p className="muted small">
                Pre-filled with the key this server publishes (key ID <span className="mono">{loaded.key.key_id}</span>). For an independent check,
                paste the key you received out of band.
              </p>
              <button type="submit" disabled={loaded.note === null || verifying}>
                {verifying ? 'Verifying…' : 'Verify signature'}
              </button>
            </form>
            <div role="status" aria-live="polite" data-testid="verify-result">
              {result !== null &&
                (result.valid ? (
                  <p className="ok">
                    ✔ Valid ML-DSA-65 signature by {result.keyName} (key {result.keyId}) over tree size {int(result.checkpoint.size)}.
                    {!result.originMatchesKey && ' Note: the checkpoint origin differs from the key name.'}
                  </p>
                ) : (
                  <p className="bad">✘ Not verified: {result.problem}</p>
                ))}
              {problem !== null && <p className="bad">✘ {problem}</p>}
            </div>
          </Panel>
        </>
      )}
    </>
  );
}

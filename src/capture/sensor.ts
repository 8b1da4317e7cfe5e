/**
 * The network sensor: one composition of the capture pieces, fed one capture record at a time (from a file, a
 * pipe or a live stream), in capture order.
 *
 * Per packet:
 *  1. decode in place (`decode.ts`; no object per packet);
 *  2. the bidirectional flow table (`flow-table.ts`: Zeek conn_state and history, timeouts, bounded);
 *  3. for a flow's payload: service identification on the first payloads, then that flow's protocol analyzer
 *     (`protocols/`), whose application events (logins, HTTP request lines, Modbus/DNP3/MQTT messages) go to
 *     the detectors;
 *  4. ARP packets to the ARP-spoofing detector;
 *  5. optionally the online anomaly detector: Kitsune's AfterImage damped statistics → KitNET, with a grace
 *     period and a threshold calibrated on the scores that follow it (log-normal tail, p ≈ 0.001).
 * Per flow: its start to the scan detector (port scan, host sweep), its end (conn_state) to the scan detector
 * and to the UNSW-NB15 connection counters, then to `onFlow`.
 *
 * Every detection is reported once through `onAlert` as a {@link SensorAlert} (the detectors de-duplicate per
 * source and reason). Time is packet time throughout: replaying a capture gives the same output as the live run.
 *
 * Bounded state: the flow table (`maxFlows`), one analyzer per live flow (dropped when the flow ends), each
 * detector's own bounded tables, AfterImage's stream tables, KitNET's fixed weights.
 */
import type { Severity } from '../core/records.js';
import { ArpSpoofDetector, type ArpSpoofOptions } from '../detect/arp-spoof.js';
import { BruteForceDetector, type BruteForceOptions } from '../detect/brute-force.js';
import { HttpExploitDetector, type HttpExploitOptions } from '../detect/http-exploit.js';
import { ModbusWriteDetector, type ModbusWriteOptions } from '../detect/modbus-writes.js';
import { MqttAbuseDetector, type MqttAbuseOptions } from '../detect/mqtt-abuse.js';
import type { PacketDetection } from '../detect/packet-detection.js';
import { ScanDetector, type ScanDetectorOptions, type ScanProto } from '../detect/scan-detector.js';
import { AfterImage } from '../features/afterimage.js';
import { HostIds, IPV6_ID_BASE, macFromBytes } from '../features/host-ids.js';
import { KitNET, SCORE_BATCH, type KitNetOptions } from '../ml/kitnet.js';
import { LogNormalThreshold } from '../ml/lognormal-threshold.js';
import type { ConnRecord } from './conn-record.js';
import { decodePacket, newDecodeStats, type DecodeStats } from './decode.js';
import type { SensorAlert, SensorRunStats } from './eve-output.js';
import { FlowTable, type FlowTableOptions } from './flow-table.js';
import { formatIPv4, formatIPv6 } from './ip-format.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_SYN, newPacketInfo, type CaptureRecord, type PacketInfo } from './packet.js';
import { identifyService, type AppEvent, type FlowRef, type ProtocolAnalyzer } from './protocols/index.js';

/** Options of the online anomaly detector (AfterImage + KitNET + log-normal threshold). */
export interface OnlineAnomalyOptions {
  /** KitNET options (grace periods: feature mapping 5,000 and training 50,000 packets by default). */
  readonly kitnet?: KitNetOptions;
  /** Packets scored after the grace period to calibrate the threshold (default 50,000). */
  readonly calibrationPackets?: number;
  /** Tail probability of the threshold under the benign log-normal fit (default 0.001). */
  readonly p?: number;
  /** Most streams per AfterImage table (default AfterImage's). */
  readonly maxStreams?: number;
  /**
   * A score at or above `highFactor` × threshold is a `medium` alert, otherwise `low` (an anomaly score alone
   * names no technique and no certainty; default 4).
   */
  readonly mediumFactor?: number;
}

/** Options of {@link NetworkSensor}. */
export interface NetworkSensorOptions {
  /** Flow table settings (timeouts, capacity, uid source). */
  readonly flows?: Omit<FlowTableOptions, 'onRecord' | 'onNewFlow'>;
  /** Each finished connection, in the order the flow table writes them. */
  readonly onFlow?: (rec: ConnRecord) => void;
  /** Each detection (already de-duplicated by its detector). */
  readonly onAlert?: (alert: SensorAlert) => void;
  /** Online anomaly detection; off unless given. */
  readonly anomaly?: OnlineAnomalyOptions;
  readonly scan?: Partial<ScanDetectorOptions>;
  readonly bruteForce?: Partial<BruteForceOptions>;
  readonly arp?: Partial<ArpSpoofOptions>;
  readonly http?: Partial<HttpExploitOptions>;
  readonly modbus?: Partial<ModbusWriteOptions>;
  readonly mqtt?: Partial<MqttAbuseOptions>;
  /** Every application event the protocol analyzers report (for counting and tests), with its flow. */
  readonly onAppEvent?: (e: AppEvent, flow: FlowRef) => void;
  /** Payload packets per flow tried for service identification before giving up (default 4). */
  readonly identifyAttempts?: number;
}

/** Per-flow protocol state: the analyzer (null: given up) and the slot generation it belongs to. */
interface FlowApp {
  generation: number;
  analyzer: ProtocolAnalyzer | null;
  attempts: number;
  ref: FlowRef;
  /** TCP: sequence number after the last payload byte fed, per direction (orig, resp); NaN until the first. */
  nextSeqOrig: number;
  nextSeqResp: number;
}

const SCAN_PROTO: Readonly<Record<string, ScanProto | undefined>> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp' };

/**
 * The network sensor; see the file comment. Not re-entrant: `processRecord` must not be called from inside its
 * own callbacks.
 */
export class NetworkSensor {
  /** Live flows that have an analyzer entry (test hook for the bound: at most the flow table's live flows). */
  get analyzedFlows(): number {
    return this.apps.size;
  }

  /** Decoder counters (truncated, malformed, fragments, non-IP, unsupported link). */
  readonly decodeStats: DecodeStats = newDecodeStats();
  readonly flowTable: FlowTable;
  private readonly packet: PacketInfo = newPacketInfo();
  private readonly apps = new Map<number, FlowApp>();
  private readonly identifyAttempts: number;
  private readonly onFlow: ((rec: ConnRecord) => void) | undefined;
  private readonly onAlertCb: ((alert: SensorAlert) => void) | undefined;
  private readonly onAppEvent: ((e: AppEvent, flow: FlowRef) => void) | undefined;
  private readonly scan: ScanDetector;
  private readonly bruteForce: BruteForceDetector;
  private readonly arp: ArpSpoofDetector;
  private readonly http: HttpExploitDetector;
  private readonly modbus: ModbusWriteDetector;
  private readonly mqtt: MqttAbuseDetector;
  // Online anomaly detection (undefined when off).
  private readonly afterImage: AfterImage | undefined;
  private readonly kitnet: KitNET | undefined;
  private readonly threshold: LogNormalThreshold | undefined;
  private readonly hostIds: HostIds | undefined;
  private readonly features: Float64Array | undefined;
  // The batch of packets waiting to be scored (SCORE_BATCH rows of features and what an alert needs).
  private readonly batchX: Float64Array | undefined;
  private readonly batchTs = new Float64Array(SCORE_BATCH);
  private readonly batchSrc = new Float64Array(SCORE_BATCH);
  private readonly batchDst = new Float64Array(SCORE_BATCH);
  private readonly batchSrcPort = new Int32Array(SCORE_BATCH);
  private readonly batchDstPort = new Int32Array(SCORE_BATCH);
  /** Bit 0: IPv6; bit 1: TCP; bit 2: UDP. */
  private readonly batchMeta = new Uint8Array(SCORE_BATCH);
  private readonly batchScores = new Float64Array(SCORE_BATCH);
  private batchN = 0;
  private readonly anomalyAlerted = new Map<number, number>();
  private readonly mediumFactor: number;
  // Run counters.
  private packets = 0;
  private bytes = 0;
  private alerts = 0;
  private lastTs = 0;
  private readonly protocolCounts = new Map<string, number>();
  private readonly transportCounts = { tcp: 0, udp: 0, icmp: 0, icmpv6: 0, arp: 0, other_ip: 0, non_ip: 0 };
  private readonly emitApp: (e: AppEvent) => void;
  private currentApp: FlowApp | undefined;
  /** Highest anomaly score seen after calibration, and how many packets crossed the threshold. */
  private anomalyMax = 0;
  private anomalyOver = 0;
  /** TCP payload segments not fed to an analyzer again (retransmitted bytes). */
  private retransmitted = 0;

  constructor(opts: NetworkSensorOptions = {}) {
    this.onFlow = opts.onFlow;
    this.onAlertCb = opts.onAlert;
    this.onAppEvent = opts.onAppEvent;
    this.identifyAttempts = opts.identifyAttempts ?? 4;
    this.scan = new ScanDetector(opts.scan);
    this.bruteForce = new BruteForceDetector(opts.bruteForce);
    this.arp = new ArpSpoofDetector(opts.arp);
    this.http = new HttpExploitDetector(opts.http);
    this.modbus = new ModbusWriteDetector(opts.modbus);
    this.mqtt = new MqttAbuseDetector(opts.mqtt);
    this.flowTable = new FlowTable({
      ...opts.flows,
      onRecord: (r) => this.flowEnded(r),
      onNewFlow: (slot, p) => this.flowStarted(slot, p),
    });
    this.emitApp = (e) => this.appEvent(e);
    const a = opts.anomaly;
    this.mediumFactor = a?.mediumFactor ?? 4;
    if (a !== undefined) {
      this.afterImage = new AfterImage(a.maxStreams === undefined ? {} : { maxStreams: a.maxStreams });
      this.kitnet = new KitNET(this.afterImage.featureCount, a.kitnet ?? {});
      this.threshold = new LogNormalThreshold({ p: a.p ?? 0.001, calibrationSize: a.calibrationPackets ?? 50_000 });
      this.hostIds = new HostIds();
      this.features = new Float64Array(this.afterImage.featureCount);
      this.batchX = new Float64Array(SCORE_BATCH * this.afterImage.featureCount);
    }
  }

  /** Processes one capture record (the reader's reused record; nothing of it is kept). */
  processRecord(r: CaptureRecord): void {
    const p = this.packet;
    p.record = r;
    this.packets++;
    this.bytes += r.origLen;
    this.lastTs = r.ts;
    decodePacket(p, this.decodeStats);
    if (p.isArp) {
      this.transportCounts.arp++;
      this.arpPacket(p);
      return;
    }
    if (p.ipVersion === 0) {
      this.transportCounts.non_ip++;
      return;
    }
    switch (p.proto) {
      case IPPROTO_TCP:
        this.transportCounts.tcp++;
        break;
      case IPPROTO_UDP:
        this.transportCounts.udp++;
        break;
      case IPPROTO_ICMP:
        this.transportCounts.icmp++;
        break;
      case IPPROTO_ICMPV6:
        this.transportCounts.icmpv6++;
        break;
      default:
        this.transportCounts.other_ip++;
    }
    const slot = this.flowTable.update(p);
    if (slot >= 0 && p.payloadCapLen > 0 && (p.proto === IPPROTO_TCP || p.proto === IPPROTO_UDP)) this.payload(slot, p);
    if (this.afterImage !== undefined) this.anomalyPacket(p);
  }

  /** End of input: writes every live flow (end_reason `end_of_input`). */
  finish(): void {
    if (this.kitnet !== undefined) this.scorePending();
    this.flowTable.flush('end_of_input');
    this.apps.clear();
  }

  /** Counters of the run so far (for the `stats` record). */
  stats(): SensorRunStats {
    const anomaly =
      this.kitnet === undefined
        ? undefined
        : {
            warm: this.kitnet.isWarm(),
            calibrated: this.threshold!.isCalibrated(),
            threshold: this.threshold!.isCalibrated() ? this.threshold!.threshold() : null,
            max_score: this.anomalyMax,
            over_threshold: this.anomalyOver,
          };
    return {
      ts: this.lastTs,
      packets: this.packets,
      bytes: this.bytes,
      flows: this.flowTable.stats.records,
      protocols: Object.fromEntries([...this.protocolCounts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      transports: { ...this.transportCounts },
      alerts: this.alerts,
      extra: {
        decode: { ...this.decodeStats, lastFlags: undefined },
        flow_table: { ...this.flowTable.stats, live: this.flowTable.size },
        retransmitted_segments: this.retransmitted,
        ...(anomaly === undefined ? {} : { anomaly }),
      },
    };
  }

  // ------------------------------------------------------------------ flows

  private flowStarted(slot: number, p: PacketInfo): void {
    const ft = this.flowTable;
    const proto = SCAN_PROTO[ft.protoOf(slot)];
    if (proto === undefined) return;
    // Connection attempts only: a TCP flow opened by a SYN without ACK, any first UDP datagram, an ICMP echo
    // request. A flow first seen mid-way (SYN-ACK, data) is not an attempt of its first packet's sender.
    if (proto === 'tcp' && (p.tcpFlags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return;
    if (proto === 'icmp' && p.icmpType !== 8 && p.icmpType !== 128) return;
    const d = this.scan.observeAttempt(this.lastTs, ft.origHostOf(slot), ft.respHostOf(slot), ft.respPortOf(slot), proto);
    if (d !== null) this.alert(d, ft.uidOf(slot), proto, ft.origPortOf(slot));
  }

  private flowEnded(r: ConnRecord): void {
    // The flow's analyzer goes with it (the map holds live flows only).
    const slot = this.flowTable.recordSlot;
    const app = slot >= 0 ? this.apps.get(slot) : undefined;
    if (app !== undefined && app.generation === this.flowTable.generationOf(slot)) this.apps.delete(slot);
    const proto = SCAN_PROTO[r.proto];
    if (proto !== undefined) {
      const d = this.scan.observeOutcome(r.ts, r.orig_h, r.resp_h, r.resp_p, proto, r.conn_state);
      if (d !== null) this.alert(d, r.uid, proto, r.orig_p);
    }
    this.onFlow?.(r);
  }

  // ------------------------------------------------------------------ protocols

  private payload(slot: number, p: PacketInfo): void {
    const ft = this.flowTable;
    const gen = ft.generationOf(slot);
    let app = this.apps.get(slot);
    if (app === undefined || app.generation !== gen) {
      app = {
        generation: gen,
        analyzer: null,
        attempts: 0,
        ref: { uid: ft.uidOf(slot), ts: p.ts, origH: ft.origHostOf(slot), origP: ft.origPortOf(slot), respH: ft.respHostOf(slot), respP: ft.respPortOf(slot), fromOrig: true },
        nextSeqOrig: Number.NaN,
        nextSeqResp: Number.NaN,
      };
      this.apps.set(slot, app);
    }
    const fromOrig = ft.lastFromOrig;
    let off = p.payloadOff;
    let len = p.payloadCapLen;
    if (p.proto === IPPROTO_TCP) {
      // Retransmissions: bytes already fed in this direction are not fed again (a retransmitted PASS is one
      // login attempt, not two). Sequence arithmetic mod 2^32 (RFC 9293 §3.4).
      const next = fromOrig ? app.nextSeqOrig : app.nextSeqResp;
      const end = (p.seq + len) >>> 0;
      if (!Number.isNaN(next)) {
        if (((end - next) | 0) <= 0) {
          this.retransmitted++;
          return;
        }
        const overlap = (next - p.seq) | 0;
        if (overlap > 0) {
          off += overlap;
          len -= overlap;
        }
      }
      if (fromOrig) app.nextSeqOrig = end;
      else app.nextSeqResp = end;
    }
    if (app.analyzer === null) {
      if (app.attempts >= this.identifyAttempts) return;
      app.attempts++;
      const proto = p.proto === IPPROTO_TCP ? 'tcp' : 'udp';
      const a = identifyService(proto, app.ref.origP, app.ref.respP, p.data, off, len, fromOrig);
      if (a === null) return;
      app.analyzer = a;
      ft.setService(slot, a.service);
    }
    app.ref.ts = p.ts;
    app.ref.fromOrig = fromOrig;
    this.currentApp = app;
    app.analyzer.feed(app.ref, p.data, off, len, this.emitApp);
    this.currentApp = undefined;
  }

  private appEvent(e: AppEvent): void {
    const app = this.currentApp;
    if (app === undefined) return;
    const f = app.ref;
    this.onAppEvent?.(e, f);
    const name = e.kind === 'login' ? `${e.service}_login` : e.kind;
    this.protocolCounts.set(name, (this.protocolCounts.get(name) ?? 0) + 1);
    // The detectors want the client (who logs in, sends requests and writes): orig unless the analyzer found
    // that the flow was first seen from the server's side (a capture that starts mid-connection).
    const clientIsOrig = app.analyzer?.clientIsOrig ?? true;
    const client = clientIsOrig ? f.origH : f.respH;
    const server = clientIsOrig ? f.respH : f.origH;
    const clientP = clientIsOrig ? f.origP : f.respP;
    const serverP = clientIsOrig ? f.respP : f.origP;
    let d: PacketDetection | null = null;
    switch (e.kind) {
      case 'login':
        d = this.bruteForce.observeLogin(f.ts, client, server, e.service, e.outcome, e.user, f.uid);
        break;
      case 'http_request':
        d = this.http.inspectRequest(f.ts, client, server, serverP, e.method, e.uri, f.uid, e.userAgent);
        break;
      case 'modbus':
        if (e.isRequest) d = this.modbus.observe(f.ts, client, server, e.unitId, e.functionCode, true, e.subFunction, f.uid);
        break;
      case 'mqtt':
        if (e.packetType === 'CONNACK' && e.returnCode !== undefined) {
          // Refused for credentials: 3.1.1 §3.2.2.3 codes 4 (bad user name or password) and 5 (not authorised);
          // 5.0 §3.2.2.2 reason codes 0x86 and 0x87. Accepted: 0.
          const rc = e.returnCode;
          const failed = rc === 4 || rc === 5 || rc === 0x86 || rc === 0x87;
          if (failed || rc === 0) d = this.bruteForce.observeLogin(f.ts, client, server, 'mqtt', failed ? 'failure' : 'success', undefined, f.uid);
        } else if (e.packetType === 'CONNECT') d = this.mqtt.observeConnect(f.ts, client, server, e.clientId, f.uid);
        else if (e.packetType === 'SUBSCRIBE' && e.topics !== undefined) d = this.mqtt.observeSubscribe(f.ts, client, server, e.topics, f.uid);
        break;
      case 'dnp3':
        break;
    }
    if (d !== null) this.alert(d, f.uid, 'tcp', clientP);
  }

  // ------------------------------------------------------------------ ARP

  private arpPacket(p: PacketInfo): void {
    if (p.arpShaOff < 0) return;
    const d = this.arp.observeArp(p.ts, p.arpOp, macText(p.data, p.arpShaOff), formatIPv4(p.arpSpa), formatIPv4(p.arpTpa));
    if (d !== null) this.alert(d, undefined, undefined, undefined);
  }

  // ------------------------------------------------------------------ online anomaly

  private anomalyPacket(p: PacketInfo): void {
    const ai = this.afterImage!;
    const kit = this.kitnet!;
    let src: number;
    let dst: number;
    if (p.ipVersion === 4) {
      src = p.src4;
      dst = p.dst4;
    } else {
      src = this.hostIds!.intern(p.data, p.src6Off);
      dst = this.hostIds!.intern(p.data, p.dst6Off);
    }
    const mac = p.srcMacOff >= 0 ? macFromBytes(p.data, p.srcMacOff) : 0;
    if (!kit.isWarm()) {
      ai.update(p.ts, p.wireLen, mac, src, dst, p.srcPort, p.dstPort, this.features!);
      kit.learnOne(this.features!);
      return;
    }
    // After the grace period scoring learns nothing, so packets are scored in batches (KitNET.scoreBatch gives
    // the scores of one-by-one calls at a lower cost); a batch is scored when full, when its first packet is
    // 1 s old in packet time, and at the end of input.
    const b = this.batchN;
    const f = ai.featureCount;
    const x = this.features!;
    ai.update(p.ts, p.wireLen, mac, src, dst, p.srcPort, p.dstPort, x);
    this.batchX!.set(x, b * f);
    this.batchTs[b] = p.ts;
    this.batchSrc[b] = src;
    this.batchDst[b] = dst;
    this.batchSrcPort[b] = p.hasL4 ? p.srcPort : -1;
    this.batchDstPort[b] = p.hasL4 ? p.dstPort : -1;
    this.batchMeta[b] = (p.ipVersion === 6 ? 1 : 0) | (p.proto === IPPROTO_TCP ? 2 : p.proto === IPPROTO_UDP ? 4 : 0);
    this.batchN = b + 1;
    if (this.batchN === SCORE_BATCH || p.ts - this.batchTs[0]! >= 1) this.scorePending();
  }

  /** Scores the pending batch and acts on each score in packet order (calibration, then threshold and alerts). */
  private scorePending(): void {
    const n = this.batchN;
    if (n === 0) return;
    this.batchN = 0;
    const scores = this.batchScores;
    this.kitnet!.scoreBatch(this.batchX!, n, scores);
    const th = this.threshold!;
    for (let b = 0; b < n; b++) {
      const score = scores[b]!;
      if (!th.isCalibrated()) {
        th.observe(score);
        continue;
      }
      if (score > this.anomalyMax) this.anomalyMax = score;
      if (!th.isAnomalous(score)) continue;
      this.anomalyOver++;
      const src = this.batchSrc[b]!;
      const ts = this.batchTs[b]!;
      // One alert per source host per 5 minutes of packet time.
      const last = this.anomalyAlerted.get(src);
      if (last !== undefined && ts - last < 300) continue;
      if (this.anomalyAlerted.size >= 65_536) this.anomalyAlerted.delete(this.anomalyAlerted.keys().next().value as number);
      this.anomalyAlerted.set(src, ts);
      const limit = th.threshold();
      const severity: Severity = score >= this.mediumFactor * limit ? 'medium' : 'low';
      const v6 = (this.batchMeta[b]! & 1) !== 0;
      const dst = this.batchDst[b]!;
      const sp = this.batchSrcPort[b]!;
      const dp = this.batchDstPort[b]!;
      const meta = this.batchMeta[b]!;
      this.alert(
        {
          ts,
          reason: 'Online Anomaly',
          severity,
          origH: v6 ? hostText6(this.hostIds!, src) : formatIPv4(src),
          respH: v6 ? hostText6(this.hostIds!, dst) : formatIPv4(dst),
          ...(dp >= 0 ? { respP: dp } : {}),
          detail: `KitNET score ${score.toPrecision(4)} over threshold ${limit.toPrecision(4)} (tail p ${th.tailProbability(score).toExponential(2)})`,
          techniques: [],
        },
        undefined,
        (meta & 2) !== 0 ? 'tcp' : (meta & 4) !== 0 ? 'udp' : undefined,
        sp >= 0 ? sp : undefined,
      );
    }
  }

  // ------------------------------------------------------------------ alerts

  private alert(d: PacketDetection, uid: string | undefined, proto: string | undefined, origP: number | undefined): void {
    this.alerts++;
    const u = d.uid ?? uid;
    this.onAlertCb?.({
      ts: d.ts,
      reason: d.reason,
      severity: d.severity,
      origH: d.origH,
      ...(origP === undefined ? {} : { origP }),
      ...(d.respH === undefined ? {} : { respH: d.respH }),
      ...(d.respP === undefined ? {} : { respP: d.respP }),
      ...(proto === undefined ? {} : { proto }),
      ...(u === undefined ? {} : { uid: u }),
      detail: d.detail,
      techniques: d.techniques,
    });
  }
}

const HEX = '0123456789abcdef';

/** `aa:bb:cc:dd:ee:ff` from 6 bytes at `off`. */
export function macText(data: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    const b = data[off + i] ?? 0;
    if (i > 0) s += ':';
    s += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return s;
}

const ADDR6 = new Uint8Array(16);

function hostText6(ids: HostIds, id: number): string {
  if (id < IPV6_ID_BASE) return formatIPv4(id);
  return ids.addressOf(id, ADDR6, 0) ? formatIPv6(ADDR6, 0) : `ipv6#${id - IPV6_ID_BASE}`;
}

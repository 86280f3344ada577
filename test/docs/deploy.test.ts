/**
 * The deployment descriptions against the code: docker-compose.yml and the Dockerfile run the
 * topology of `npm run cluster` (scripts/cluster.ts), and deploy/kubernetes describes it for
 * Kubernetes. Both are parsed (no Docker or cluster needed), and every environment variable they set
 * must be one of Evently's settings (`evently settings`), so a typo fails here rather than being
 * ignored by a deployment. The health checks are run, against a server of the test's own; where
 * kubectl is installed, the manifests are also rendered with `kubectl kustomize`.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { MODULE_NAMES, MODULE_PORTS, MODULE_ROUTES, type ModuleName } from '../../src/kernel/index.js';
import { eventlySettingsTable } from '../../src/main.js';
import { ROOT } from '../support/process.js';
import { describe, it } from '../support/suite.js';

const run = promisify(execFile);
const K8S_DIR = path.join(ROOT, 'deploy/kubernetes');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** Every document of a YAML file as plain data (`<<` merge keys resolved, as Compose does). */
function loadYaml(file: string): unknown[] {
  return parseAllDocuments(read(file), { merge: true }).map((doc) => {
    assert.deepEqual(doc.errors.map((e) => e.message), [], `${file}: YAML errors`);
    assert.deepEqual(doc.warnings.map((e) => e.message), [], `${file}: YAML warnings`);
    return doc.toJS() as unknown;
  });
}

// ---------------------------------------------------------------------------------------------
// What the code says: the settings, and the topology of npm run cluster.

interface Setting { name: string; secret: boolean; default: string }

/** The rows of `evently settings` (the same table the README shows). */
const SETTINGS: ReadonlyMap<string, Setting> = new Map(
  eventlySettingsTable()
    .split('\n')
    .flatMap((row) => {
      const m = /^\| `([A-Z0-9_]+)` \| ([^|]*) \|/.exec(row);
      return m ? [[m[1]!, { name: m[1]!, secret: row.includes('Secret: `_FILE` recommended.'), default: m[2]!.trim().replace(/^`|`$/g, '') }] as const] : [];
    }),
);

/** A variable an Evently process reads: a setting, or NAME_FILE for a secret one. */
function assertKnownVariable(name: string, where: string): void {
  const file = /^(.+)_FILE$/.exec(name)?.[1];
  if (file) assert.ok(SETTINGS.get(file)?.secret, `${where}: ${name} is not the _FILE form of a secret setting (npm run evently -- settings)`);
  else assert.ok(SETTINGS.has(name), `${where}: ${name} is not an Evently setting (npm run evently -- settings)`);
}

/** A secret setting given as a value rather than a file holds no credentials. */
function assertNoCredentials(name: string, value: string, where: string): void {
  if (!SETTINGS.get(name)?.secret) return;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  assert.ok(url && !url.password && !url.username, `${where}: ${name} holds a secret; pass it as ${name}_FILE`);
}

function shutdownTimeoutMs(env: Record<string, string | undefined> = {}): number {
  const ms = Number(env.SHUTDOWN_TIMEOUT_MS ?? SETTINGS.get('SHUTDOWN_TIMEOUT_MS')?.default);
  assert.ok(Number.isInteger(ms) && ms > 0, 'SHUTDOWN_TIMEOUT_MS has a default in the settings table');
  return ms;
}

interface Member { name: string; module: ModuleName; port: number }

/** The processes of `npm run cluster` with its defaults, read from scripts/cluster.ts. */
function clusterTopology(): { members: Member[]; roles: string; bookingsReplicas: number } {
  const source = read('scripts/cluster.ts');
  const roles = /'--roles', '([a-z,]+)'/.exec(source)?.[1];
  const replicas = /'bookings-replicas': \{[^}]*default: '(\d+)'/.exec(source)?.[1];
  const step = /port: port \+ (\d+) \* i/.exec(source)?.[1];
  const change = 'scripts/cluster.ts no longer reads as this test expects: update the test, docker-compose.yml and deploy/';
  assert.ok(roles && replicas && step && source.includes('`bookings-${i + 1}`'), change);
  const members = MODULE_NAMES.flatMap((module): Member[] =>
    module === 'bookings'
      ? Array.from({ length: Number(replicas) }, (_, i) => ({ name: i ? `bookings-${i + 1}` : module, module, port: MODULE_PORTS[module] + Number(step) * i }))
      : [{ name: module, module, port: MODULE_PORTS[module] }],
  );
  return { members, roles, bookingsReplicas: Number(replicas) };
}

const CLUSTER = clusterTopology();
const START_ARGS = (module: ModuleName) => ['start', '--modules', module, '--roles', CLUSTER.roles];
const JWKS_URL = `http://auth:${MODULE_PORTS.auth}/.well-known/jwks.json`;
const METRICS_PORT = /^ENV .*\bMETRICS_PORT=(\d+)\b/m.exec(read('Dockerfile'))?.[1];

/** The keys each module needs besides DATABASE_URL (production refuses to start without them). */
const MODULE_SECRETS: Partial<Record<ModuleName, string[]>> = {
  auth: ['AUTH_SIGNING_KEY', 'EVENT_SEALING_KEY'],
  notifications: ['SMTP_URL', 'EVENT_SEALING_KEY'],
};

/** SPEC §1: the path prefixes each module serves (notifications: none in production). */
const ROUTES: Partial<Record<ModuleName, readonly string[]>> = Object.fromEntries(Object.entries(MODULE_ROUTES).filter(([m]) => m !== 'notifications'));

/**
 * Runs a health check command (`node -e …`) against a server answering /health/ready with `status`:
 * it must pass on 200 and fail on 503, with nothing but node (the image has no curl or wget).
 */
async function assertHealthCheckWorks(args: string[], where: string, env: (port: number) => Record<string, string>): Promise<void> {
  let status = 200;
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(req.url === '/health/ready' ? status : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const check = () => run(process.execPath, args, { env: { PATH: process.env.PATH, ...env(port) }, timeout: 10_000 }).then(() => true, () => false);
  try {
    assert.equal(await check(), true, `${where}: the health check fails against a ready server`);
    status = 503;
    assert.equal(await check(), false, `${where}: the health check passes against a server answering 503`);
    assert.deepEqual([...new Set(paths)], ['/health/ready'], `${where}: the health check asks /health/ready`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml and the Dockerfile

interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  secrets?: string[];
  stop_grace_period?: string;
}
interface Compose { services: Record<string, ComposeService>; secrets: Record<string, { file: string }> }

const seconds = (duration: string | undefined) => {
  const m = /^(\d+)(ms|s|m)$/.exec(duration ?? '10s'); // Docker's default grace period is 10 s
  assert.ok(m, `unreadable duration ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
};

describe('docker-compose.yml', () => {
  const [compose] = loadYaml('docker-compose.yml') as [Compose];
  const services = compose.services;

  it('runs the processes of npm run cluster, PostgreSQL, Redis and a one-shot migrate', () => {
    assert.deepEqual(Object.keys(services).sort(), ['postgres', 'redis', 'migrate', ...CLUSTER.members.map((m) => m.name)].sort());
    assert.ok(CLUSTER.members.filter((m) => m.module === 'bookings').length >= 2, 'two bookings replicas at least');
  });

  it('gives every module its command, roles and port as npm run cluster does', () => {
    for (const m of CLUSTER.members) {
      const s = services[m.name]!;
      assert.deepEqual(s.command, START_ARGS(m.module), `${m.name}: command`);
      assert.equal(s.environment?.PORT, String(m.port), `${m.name}: PORT (the health check reads it)`);
      const published = m.module === 'notifications' ? [[], [`${m.port}:${m.port}`]] : [[`${m.port}:${m.port}`]];
      assert.ok(published.some((p) => JSON.stringify(p) === JSON.stringify(s.ports ?? [])), `${m.name}: ports ${JSON.stringify(s.ports)}`);
    }
  });

  it('gives every Evently service the same settings but its port and its secrets, all of them real settings', () => {
    const shared = (s: ComposeService) => Object.fromEntries(Object.entries(s.environment ?? {}).filter(([k]) => k !== 'PORT' && !k.endsWith('_FILE')));
    const first = shared(services[CLUSTER.members[0]!.name]!);
    for (const m of CLUSTER.members) {
      const env = services[m.name]!.environment ?? {};
      assert.deepEqual(shared(services[m.name]!), first, `${m.name}: settings differ from the other services'`);
      for (const name of Object.keys(env)) assertKnownVariable(name, `docker-compose.yml ${m.name}`);
      assert.equal(env.NODE_ENV, 'production');
      assert.equal(env.AUTH_JWKS_URL, JWKS_URL);
      assert.equal(new URL(env.REDIS_URL!).hostname, 'redis');
      // No default credentials: the password comes from .env, and compose stops without it.
      assert.match(env.DATABASE_URL!, /^postgres:\/\/evently:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/evently$/);
      assert.ok(!env.REDIS_URL || !new URL(env.REDIS_URL).password, 'REDIS_URL holds no password');
    }
    assert.match(services.postgres!.environment!.POSTGRES_PASSWORD!, /^\$\{POSTGRES_PASSWORD:\?[^}]+\}$/);
  });

  it('passes each module the keys it needs as files of Compose secrets', () => {
    for (const m of CLUSTER.members) {
      const s = services[m.name]!;
      const env = s.environment ?? {};
      for (const secret of MODULE_SECRETS[m.module] ?? []) assert.ok(env[`${secret}_FILE`], `${m.name}: ${secret}_FILE`);
      for (const [name, value] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) {
        const secret = /^\/run\/secrets\/([a-z_]+)$/.exec(value)?.[1];
        assert.ok(secret && s.secrets?.includes(secret) && compose.secrets[secret]?.file, `${m.name}: ${name}=${value} is not a secret of the service`);
      }
    }
  });

  it('checks every Evently service\'s readiness with node, restarts it, and starts it after its dependencies', () => {
    for (const m of CLUSTER.members) {
      const s = services[m.name]!;
      const test = s.healthcheck?.test ?? [];
      assert.ok(!s.healthcheck?.disable && test[0] === 'CMD' && test[1] === 'node' && test[2] === '-e', `${m.name}: a node health check`);
      assert.match(test[3] ?? '', /process\.env\.PORT/, `${m.name}: the health check asks the service's own PORT`);
      assert.equal(s.restart, 'unless-stopped', `${m.name}: restart`);
      assert.ok(seconds(s.stop_grace_period) * 1000 > shutdownTimeoutMs(s.environment), `${m.name}: stop_grace_period leaves SHUTDOWN_TIMEOUT_MS to drain`);
      const after = { postgres: 'service_healthy', redis: 'service_healthy', migrate: 'service_completed_successfully', ...(m.module === 'auth' ? {} : { auth: 'service_healthy' }) };
      assert.deepEqual(Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v.condition])), after, `${m.name}: depends_on`);
    }
  });

  it('has health checks that pass on a ready process and fail on 503, with node alone', async () => {
    const test = services.auth!.healthcheck!.test!;
    await assertHealthCheckWorks(test.slice(2), 'docker-compose.yml', (port) => ({ PORT: String(port) }));
    for (const m of CLUSTER.members) assert.deepEqual(services[m.name]!.healthcheck!.test, test, `${m.name}: the same health check`);
  });

  it('migrates once, before the others start, and runs PostgreSQL and Redis durably', () => {
    const migrate = services.migrate!;
    assert.deepEqual(migrate.command, ['migrate']);
    assert.equal(migrate.restart, 'no');
    assert.equal(migrate.depends_on?.postgres?.condition, 'service_healthy');
    for (const name of Object.keys(migrate.environment ?? {})) assertKnownVariable(name, 'docker-compose.yml migrate');
    const redis = services.redis!.command!.join(' ');
    assert.match(redis, /--appendonly yes/);
    assert.match(redis, /--appendfsync always/);
    for (const name of ['postgres', 'redis']) {
      assert.ok(services[name]!.healthcheck?.test, `${name}: healthcheck`);
      assert.equal(services[name]!.restart, 'unless-stopped', `${name}: restart`);
    }
  });

  it('uses the Dockerfile\'s image, which exposes every port and checks its own readiness', async () => {
    const dockerfile = read('Dockerfile');
    for (const [name, s] of Object.entries(services)) if (!['postgres', 'redis'].includes(name)) assert.equal(s.build, '.', `${name}: build`);
    const exposed = (/^EXPOSE (.+)$/m.exec(dockerfile)?.[1] ?? '').split(/\s+/).map(Number);
    for (const port of [...CLUSTER.members.map((m) => m.port), Number(METRICS_PORT)]) assert.ok(exposed.includes(port), `Dockerfile EXPOSE ${port}`);
    assert.match(dockerfile, /^USER node$/m);
    assert.doesNotMatch(dockerfile.replace(/^#.*$/gm, ''), /\b(curl|wget)\b/, 'the image has neither');
    const script = /^\s*CMD node -e "(.+)"$/m.exec(dockerfile)?.[1];
    assert.ok(script, 'Dockerfile HEALTHCHECK: CMD node -e "…"');
    await assertHealthCheckWorks(['-e', script], 'Dockerfile HEALTHCHECK', (port) => ({ PORT: String(port) }));
  });
});

// ---------------------------------------------------------------------------------------------
// deploy/kubernetes

interface Meta { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface K8sObject { apiVersion: string; kind: string; metadata: Meta; spec?: unknown; data?: Record<string, string> }
interface Probe { httpGet?: { path: string; port: number | string }; timeoutSeconds?: number }
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] } }[];
  securityContext?: SecurityContext;
  terminationGracePeriodSeconds?: number;
  restartPolicy?: string;
  automountServiceAccountToken?: boolean;
}
interface PodTemplate { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec }
interface Deployment extends K8sObject { spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: PodTemplate } }
interface Job extends K8sObject { spec: { template: PodTemplate } }
interface Service extends K8sObject { spec: { selector: Record<string, string>; ports: { port: number; targetPort?: number | string }[] } }
interface Hpa extends K8sObject {
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: { type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }[];
  };
}
interface Pdb extends K8sObject { spec: { selector: { matchLabels: Record<string, string> }; minAvailable?: number } }
interface IngressPath { path: string; pathType: string; backend: { service: { name: string; port: { number?: number; name?: string } } } }
interface Ingress extends K8sObject { spec: { rules: { http: { paths: IngressPath[] } }[] } }
interface Kustomization {
  namespace: string;
  resources: string[];
  secretGenerator?: { name: string; files: string[] }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

describe('deploy/kubernetes', () => {
  const kustomization = loadYaml('deploy/kubernetes/kustomization.yaml')[0] as Kustomization;
  const files = readdirSync(K8S_DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
  const objects = files.flatMap((f) => (loadYaml(`deploy/kubernetes/${f}`) as K8sObject[]).filter(Boolean).map((o) => ({ file: f, o })));
  const all = objects.map(({ o }) => o);
  const find = <T extends K8sObject>(kind: string, name: string) => all.find((o) => o.kind === kind && o.metadata.name === name) as T | undefined;
  const config = find<K8sObject>('ConfigMap', 'evently-config');
  /** The Secret's keys, as kustomization.yaml's secretGenerator makes them (key=file). */
  const generator = kustomization.secretGenerator?.find((g) => g.name === 'evently-secrets');
  const secretKeys = new Set(generator?.files.map((f) => f.split('=')[0]!) ?? []);

  it('kustomization.yaml lists every manifest and makes the Secret from files git ignores', () => {
    assert.deepEqual([...kustomization.resources].sort(), files, 'kustomization.yaml resources: every manifest of deploy/kubernetes');
    assert.ok(generator, 'secretGenerator evently-secrets');
    for (const entry of generator.files) {
      const file = /^[a-z-]+=(secrets\/[a-z_.]+)$/.exec(entry)?.[1];
      assert.ok(file, `secretGenerator entry ${entry}: key=secrets/file`);
    }
    assert.match(readFileSync(path.join(K8S_DIR, 'secrets/.gitignore'), 'utf8'), /^\*$/m, 'deploy/kubernetes/secrets/.gitignore ignores the secret files');
    assert.deepEqual(kustomization.images?.map((i) => i.name), ['evently']);
    assert.equal(find('Namespace', kustomization.namespace)?.apiVersion, 'v1', 'a Namespace named as kustomization.yaml\'s namespace');
  });

  it('parses as Kubernetes objects in one namespace', () => {
    const kinds = new Set(['Namespace', 'ConfigMap', 'Deployment', 'Service', 'Job', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Ingress']);
    for (const { file, o } of objects) {
      assert.ok(o.apiVersion && kinds.has(o.kind) && o.metadata?.name, `${file}: ${o.kind} ${o.metadata?.name}`);
      assert.ok(!o.metadata.namespace || o.metadata.namespace === kustomization.namespace, `${file}: ${o.metadata.name} in namespace ${o.metadata.namespace}`);
    }
    const names = all.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.equal(new Set(names).size, names.length, 'no object twice');
  });

  it('shares only real, non-secret settings in the ConfigMap', () => {
    assert.ok(config?.data, 'ConfigMap evently-config');
    for (const [name, value] of Object.entries(config.data)) {
      assert.ok(!name.endsWith('_FILE'), `ConfigMap: ${name} (files come from the Secret)`);
      assertKnownVariable(name, 'ConfigMap evently-config');
      assertNoCredentials(name, value, 'ConfigMap evently-config');
    }
    assert.equal(config.data.NODE_ENV, 'production');
    assert.equal(config.data.AUTH_JWKS_URL, JWKS_URL);
    assert.ok(config.data.REDIS_URL, 'REDIS_URL');
  });

  /** What every Evently pod must be: settings, secrets as files, non-root and read-only. */
  function assertPod(template: PodTemplate, where: string, secrets: string[]): Container {
    const pod = template.spec;
    assert.equal(pod.containers.length, 1, `${where}: one container`);
    const c = pod.containers[0]!;
    assert.equal(c.image, 'evently', `${where}: the image kustomization.yaml names`);
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'evently-config' } }], `${where}: envFrom evently-config`);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    for (const [name, value] of Object.entries(env)) {
      assertKnownVariable(name, where);
      assertNoCredentials(name, value ?? '', where);
    }
    for (const s of ['DATABASE_URL', ...secrets]) assert.ok(env[`${s}_FILE`], `${where}: ${s}_FILE`);
    for (const [name, value] of Object.entries(env).filter(([k]) => k.endsWith('_FILE'))) {
      const mount = c.volumeMounts?.find((m) => path.posix.dirname(value!) === m.mountPath);
      const volume = pod.volumes?.find((v) => v.name === mount?.name);
      const item = volume?.secret?.items?.find((i) => i.path === path.posix.basename(value!));
      assert.equal(volume?.secret?.secretName, 'evently-secrets', `${where}: ${name}=${value} is a file of the Secret`);
      assert.ok(item && secretKeys.has(item.key), `${where}: ${name}: the key ${item?.key} is one the secretGenerator makes`);
    }
    // uid 1000 (the image's node), no root, nothing written but /tmp, and the secrets readable by it.
    const podSc = pod.securityContext ?? {};
    assert.equal(podSc.runAsNonRoot, true, `${where}: runAsNonRoot`);
    assert.equal(podSc.runAsUser, 1000, `${where}: runAsUser`);
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
    assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${where}: capabilities`);
    assert.equal((c.securityContext?.seccompProfile ?? podSc.seccompProfile)?.type, 'RuntimeDefault', `${where}: seccomp`);
    assert.equal(pod.automountServiceAccountToken, false, `${where}: no service account token`);
    for (const v of pod.volumes ?? []) {
      const mode = v.secret?.defaultMode ?? 0o644;
      if (v.secret) assert.ok(mode & 0o004 || (mode & 0o040 && podSc.fsGroup === podSc.runAsGroup), `${where}: the secret files are readable by uid 1000`);
    }
    for (const kind of ['requests', 'limits'] as const) {
      for (const r of ['cpu', 'memory']) assert.ok(c.resources?.[kind]?.[r], `${where}: resources.${kind}.${r}`);
    }
    return c;
  }

  it('runs every module in a Deployment as npm run cluster does, probed on its port', () => {
    const deployments = all.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort();
    assert.deepEqual(deployments, [...MODULE_NAMES].sort(), 'one Deployment per module');
    for (const module of MODULE_NAMES) {
      const d = find<Deployment>('Deployment', module)!;
      const port = MODULE_PORTS[module];
      const labels = d.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) assert.equal(labels[k], v, `${module}: the selector matches the pods`);
      const c = assertPod(d.spec.template, `Deployment ${module}`, MODULE_SECRETS[module] ?? []);
      assert.deepEqual(c.args, START_ARGS(module), `${module}: args`);
      assert.equal(c.command, undefined, `${module}: the image's entrypoint`);
      assert.equal(c.env?.find((e) => e.name === 'PORT')?.value, String(port), `${module}: PORT`);
      const portOf = (p: number | string | undefined) => (typeof p === 'number' ? p : c.ports?.find((x) => x.name === p)?.containerPort);
      assert.equal(portOf('http'), port, `${module}: containerPort http`);
      assert.equal(c.readinessProbe?.httpGet?.path, '/health/ready', `${module}: readiness`);
      assert.equal(portOf(c.readinessProbe?.httpGet?.port), port, `${module}: readiness port`);
      assert.equal(c.livenessProbe?.httpGet?.path, '/health', `${module}: liveness`);
      assert.equal(portOf(c.livenessProbe?.httpGet?.port), port, `${module}: liveness port`);
      if (c.startupProbe) assert.equal(c.startupProbe.httpGet?.path, '/health', `${module}: startup probe`);
      const readinessMs = Number(config?.data?.READINESS_TIMEOUT_MS ?? SETTINGS.get('READINESS_TIMEOUT_MS')?.default);
      assert.ok((c.readinessProbe?.timeoutSeconds ?? 1) * 1000 > readinessMs, `${module}: the readiness probe waits longer than READINESS_TIMEOUT_MS`);
      // SIGTERM after preStop; the drain then has SHUTDOWN_TIMEOUT_MS before Kubernetes kills the pod.
      const preStopMs = Number(/setTimeout\([^,]+,\s*(\d+)\)/.exec(c.lifecycle?.preStop?.exec?.command.join(' ') ?? '')?.[1] ?? 0);
      assert.ok(c.lifecycle?.preStop?.exec?.command[0] === 'node' || !c.lifecycle?.preStop, `${module}: preStop runs with what the image has`);
      const graceMs = (d.spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000;
      assert.ok(graceMs > preStopMs + shutdownTimeoutMs(config?.data), `${module}: terminationGracePeriodSeconds covers preStop and SHUTDOWN_TIMEOUT_MS`);
      const annotations = d.spec.template.metadata.annotations ?? {};
      assert.equal(annotations['prometheus.io/port'], METRICS_PORT, `${module}: scraped on the image's METRICS_PORT`);
      assert.equal(portOf('metrics'), Number(METRICS_PORT), `${module}: containerPort metrics`);
      assert.equal(d.spec.replicas ?? 1, module === 'bookings' ? CLUSTER.bookingsReplicas : 1, `${module}: replicas as in npm run cluster`);
    }
  });

  it('gives every module a Service on its port', () => {
    for (const module of MODULE_NAMES) {
      const s = find<Service>('Service', module);
      assert.ok(s, `Service ${module}`);
      const labels = find<Deployment>('Deployment', module)!.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(s.spec.selector)) assert.equal(labels[k], v, `Service ${module} selects the Deployment's pods`);
      assert.deepEqual(s.spec.ports.map((p) => [p.port, p.targetPort]), [[MODULE_PORTS[module], 'http']], `Service ${module}: port`);
    }
  });

  it('migrates in a Job', () => {
    const jobs = all.filter((o): o is Job => o.kind === 'Job');
    assert.equal(jobs.length, 1, 'one Job');
    const c = assertPod(jobs[0]!.spec.template, 'Job', []);
    assert.deepEqual(c.args, ['migrate']);
    assert.ok(['Never', 'OnFailure'].includes(jobs[0]!.spec.template.spec.restartPolicy ?? ''), 'Job restartPolicy');
  });

  it('autoscales bookings from two replicas on CPU, and keeps one through disruptions', () => {
    const hpas = all.filter((o): o is Hpa => o.kind === 'HorizontalPodAutoscaler');
    assert.equal(hpas.length, 1);
    const hpa = hpas[0]!;
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'bookings' });
    assert.equal(hpa.spec.minReplicas, CLUSTER.bookingsReplicas);
    assert.ok(hpa.spec.maxReplicas > hpa.spec.minReplicas);
    assert.ok(hpa.spec.metrics.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization'), 'a CPU target');
    const pdb = all.find((o): o is Pdb => o.kind === 'PodDisruptionBudget');
    const labels = find<Deployment>('Deployment', 'bookings')!.spec.template.metadata.labels;
    if (pdb) for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) assert.equal(labels[k], v, 'the PodDisruptionBudget selects bookings');
  });

  it('routes each module\'s path prefixes to its Service, and nothing to notifications', () => {
    const paths = all.filter((o): o is Ingress => o.kind === 'Ingress').flatMap((i) => i.spec.rules.flatMap((r) => r.http.paths));
    const routed = new Map(paths.map((p) => [p.path, p.backend.service]));
    assert.equal(routed.size, paths.length, 'no path twice');
    for (const [module, prefixes] of Object.entries(ROUTES)) {
      for (const prefix of prefixes) {
        assert.deepEqual(routed.get(prefix), { name: module, port: { number: MODULE_PORTS[module as ModuleName] } }, `Ingress ${prefix} → ${module}`);
      }
    }
    assert.deepEqual([...routed.keys()].sort(), Object.values(ROUTES).flat().sort(), 'the Ingress routes exactly the prefixes of SPEC §1 and the web app');
    for (const p of paths) assert.ok(p.pathType === 'Prefix' || (p.pathType === 'Exact' && !p.path.endsWith('/')), `${p.path}: pathType`);
  });

  const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
  it('renders with kubectl kustomize: the Secret, named with its hash, wherever it is used; the image; the namespace', { skip: hasKubectl ? false : 'kubectl is not installed' }, async () => {
    // A copy with stand-in secret files: the real ones (if any) are never read.
    const dir = mkdtempSync(path.join(tmpdir(), 'evently-kustomize-'));
    try {
      for (const f of [...files, 'kustomization.yaml']) copyFileSync(path.join(K8S_DIR, f), path.join(dir, f));
      mkdirSync(path.join(dir, 'secrets'));
      for (const entry of generator?.files ?? []) writeFileSync(path.join(dir, entry.split('=')[1]!), 'stand-in\n');
      const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
      const rendered = parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject);
      const secret = rendered.find((o) => o.kind === 'Secret');
      assert.match(secret?.metadata.name ?? '', /^evently-secrets-[a-z0-9]+$/);
      assert.deepEqual(Object.keys(secret?.data ?? {}).sort(), [...secretKeys].sort());
      assert.equal(rendered.length, all.length + 1, 'every object, and the Secret');
      const image = kustomization.images![0]!;
      for (const o of rendered) {
        if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, kustomization.namespace, `${o.kind} ${o.metadata.name}: namespace`);
        if (o.kind !== 'Deployment' && o.kind !== 'Job') continue;
        const pod = (o as Deployment | Job).spec.template.spec;
        assert.deepEqual(pod.volumes?.filter((v) => v.secret).map((v) => v.secret!.secretName), [secret!.metadata.name], `${o.metadata.name}: the Secret`);
        assert.equal(pod.containers[0]!.image, `${image.newName}:${image.newTag}`, `${o.metadata.name}: image`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the README describes how to apply it', () => {
    assert.ok(existsSync(path.join(ROOT, 'deploy/README.md')));
    assert.match(read('deploy/README.md'), /kubectl apply -k deploy\/kubernetes/);
  });
});

// Peer benchmark driver: K Merkle-membership checks of depth 20 with circom2 + snarkjs (PLONK, Groth16).
//
//   node run.mjs K [REPEAT]   ->  one JSON line on stdout (progress on stderr)
//
// Offline: circom2 (WASM build of circom) compiles merkle.circom for this K,
// a local powers-of-tau ceremony (cached in build/) gives the SRS, then each
// system sets up, proves (witness generation included) and verifies REPEAT
// times; the best time is reported. Proof sizes are the binary encodings of the
// proof's group and field elements (BN254, uncompressed: G1 64 B, G2 128 B, Fr 32 B).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as snarkjs from "snarkjs";

const here = dirname(fileURLToPath(import.meta.url));
const K = Number(process.argv[2] ?? 4);
const REPEAT = Number(process.argv[3] ?? 1);
const DEPTH = 20;
const build = join(here, "build", `k${K}`);
mkdirSync(build, { recursive: true });
const log = (m) => process.stderr.write(`[peer] ${m}\n`);
const now = () => performance.now() / 1000;

async function best(fn) {
  let bestTime = Infinity, value;
  for (let i = 0; i < Math.max(1, REPEAT); i++) {
    const t = now();
    value = await fn();
    bestTime = Math.min(bestTime, now() - t);
  }
  return [bestTime, value];
}

// 1. compile
const main = join(build, "main.circom");
writeFileSync(main, `pragma circom 2.0.0;\ninclude "merkle.circom";\ncomponent main = MerkleChecks(${K}, ${DEPTH});\n`);
const circom = join(here, "node_modules", ".bin", "circom2");
const r1cs = join(build, "main.r1cs");
const wasm = join(build, "main_js", "main.wasm");
const source = join(here, "merkle.circom");
let compileS = 0;
const fresh = existsSync(r1cs) && existsSync(wasm) && statSync(r1cs).mtimeMs > statSync(source).mtimeMs;
if (!fresh) {
  const t = now();
  // circom2 runs under WASI with access to the working directory only: relative paths
  execFileSync(circom, [relative(here, main), "--r1cs", "--wasm", "--O2", "-l", ".", "-o", relative(here, build)], {
    cwd: here,
    stdio: ["ignore", "ignore", "inherit"],
  });
  compileS = now() - t;
}
const info = await snarkjs.r1cs.info(r1cs);
const nConstraints = info.nConstraints;
log(`${fresh ? "compiled earlier" : `compiled in ${compileS.toFixed(1)} s`}: ${nConstraints} R1CS constraints`);

// 2. circuit sizes: PLONK also needs a gate per linear combination; snarkjs reports the count when
// set up against a tiny unprepared ceremony (it logs the size and returns -1), so one ceremony of the
// right power is made (and cached in build/) instead of growing ones.
let _curve;
async function curve() { return (_curve ??= await snarkjs.curves.getCurveFromName("bn128")); }
const log2ceil = (n) => Math.ceil(Math.log2(n));
async function plonkConstraints() {
  const probe = join(build, "probe.ptau");
  if (!existsSync(probe)) await snarkjs.powersOfTau.newAccumulator(await curve(), 4, probe);
  let count;
  const logger = { info: (m) => { const x = /Plonk constraints: (\d+)/.exec(m); if (x) count = Number(x[1]); },
                   error: () => {}, warn: () => {}, debug: () => {} };
  await snarkjs.plonk.setup(r1cs, probe, join(build, "probe.zkey"), logger);
  if (!count) throw new Error("could not read the PLONK constraint count from snarkjs");
  return count;
}
const nPlonk = await plonkConstraints();
const powers = {
  plonk: Math.max(3, log2ceil(nPlonk)),
  groth16: log2ceil(nConstraints + info.nPubInputs + info.nOutputs + 1),
};
const SYSTEMS = (process.env.PEER_SYSTEMS ?? "plonk,groth16").split(",");
const power = Math.max(...SYSTEMS.map((system) => powers[system]));
log(`PLONK constraints: ${nPlonk} (domain 2^${powers.plonk}); Groth16 domain 2^${powers.groth16}`);
if (process.env.PEER_SIZES_ONLY) {
  process.stdout.write(JSON.stringify({ k: K, r1cs: nConstraints, plonk: nPlonk, powers }) + "\n");
  process.exit(0);
}

// 3. powers of tau (local, one contribution, prepared for phase 2), cached per power
async function ptau(p) {
  const final = join(here, "build", `pot${p}_final.ptau`);
  if (existsSync(final)) return [final, JSON.parse(readFileSync(final + ".json")).seconds];
  const t0 = now();
  const p0 = join(build, `pot${p}_0.ptau`), p1 = join(build, `pot${p}_1.ptau`);
  log(`powers of tau 2^${p} (new, contribute, prepare phase 2) ...`);
  await snarkjs.powersOfTau.newAccumulator(await curve(), p, p0);
  await snarkjs.powersOfTau.contribute(p0, p1, "bench", "local entropy " + Math.random());
  await snarkjs.powersOfTau.preparePhase2(p1, final + ".tmp");
  renameSync(final + ".tmp", final);
  writeFileSync(final + ".json", JSON.stringify({ seconds: now() - t0 }));
  return [final, now() - t0];
}
const [ptauFile, ptauS] = await ptau(power);
log(`powers of tau 2^${power}: generated in ${ptauS.toFixed(0)} s`);
if (process.env.PEER_PTAU_ONLY) process.exit(0);

const rng = () => BigInt(Math.floor(Math.random() * 2 ** 52)) * 4096n + BigInt(Math.floor(Math.random() * 4096));
const input = {
  leaf: Array.from({ length: K }, rng),
  bits: Array.from({ length: K }, () => Array.from({ length: DEPTH }, () => (Math.random() < 0.5 ? 1 : 0))),
  siblings: Array.from({ length: K }, () => Array.from({ length: DEPTH }, rng)),
};

const sizes = {
  groth16: (p) => 2 * 64 + 128, // pi_a, pi_c in G1; pi_b in G2
  plonk: (p) => 9 * 64 + 6 * 32, // A B C Z T1 T2 T3 Wxi Wxiw in G1; six evaluations in Fr
};

const rows = [];
for (const system of SYSTEMS) {
  const zkey = join(build, `${system}.zkey`);
  const t0 = now();
  const r = system === "plonk"
    ? await snarkjs.plonk.setup(r1cs, ptauFile, zkey)
    : await snarkjs.zKey.newZKey(r1cs, ptauFile, zkey);
  if (r === -1) throw new Error(`${system} setup failed`);
  const setupS = now() - t0;
  const vk = await snarkjs.zKey.exportVerificationKey(zkey);
  const [proveS, { proof, publicSignals }] = await best(() => snarkjs[system].fullProve(input, wasm, zkey));
  const [verifyS, ok] = await best(() => snarkjs[system].verify(vk, publicSignals, proof));
  if (!ok) throw new Error(`${system} proof did not verify`);
  log(`${system}: prove ${proveS.toFixed(2)} s, verify ${(verifyS * 1e3).toFixed(1)} ms`);
  rows.push({
    system: `snarkjs ${system === "plonk" ? "PLONK (KZG)" : "Groth16"}, circom2`,
    constraints: system === "plonk" ? `${nPlonk} PLONK gates, 2^${powers.plonk}` : `${nConstraints} R1CS, 2^${powers.groth16}`,
    prove_s: proveS,
    verify_s: verifyS,
    proof_bytes: sizes[system](proof),
    proof_json_bytes: JSON.stringify(proof).length,
    setup_s: setupS,
    ptau_s: ptauS,
    ptau_power: power,
  });
}
const versions = {
  snarkjs: JSON.parse(readFileSync(join(here, "node_modules", "snarkjs", "package.json"))).version,
  circom2: JSON.parse(readFileSync(join(here, "node_modules", "circom2", "package.json"))).version,
  circomlib: JSON.parse(readFileSync(join(here, "node_modules", "circomlib", "package.json"))).version,
  node: process.version,
};
process.stdout.write(JSON.stringify({ k: K, depth: DEPTH, compile_s: compileS, versions, rows, powers, systems: SYSTEMS }) + "\n");
await _curve?.terminate?.();
process.exit(0);

import { describe, expect, it } from 'vitest';
import { createOptionsViolations, hostConfigMounts, hostConfigViolations } from './host-config-rules.js';
import { applyLimitDefaults, limitViolations } from './limit-rules.js';
import { parseWorkerPolicy } from './policy-schema.js';

const secure = parseWorkerPolicy({});
const rules = (hostConfig: Record<string, unknown>, allow = {}) =>
  hostConfigViolations(hostConfig, parseWorkerPolicy({ allow }).allow).map((v) => [v.field, v.rule]);

describe('HostConfig rules (secure default)', () => {
  it('refuses privileges, capabilities, devices, host namespaces, security options and runtimes', () => {
    expect(rules({ Privileged: true })).toEqual([
      ['createOptions.HostConfig.Privileged', 'privileged is not allowed'],
    ]);
    expect(rules({ CapAdd: ['SYS_ADMIN'] })[0]![0]).toBe('createOptions.HostConfig.CapAdd[0]');
    expect(rules({ Devices: [{ PathOnHost: '/dev/sda' }] })[0]![1]).toMatch(/host devices/);
    for (const [key, mode] of [
      ['NetworkMode', 'host'],
      ['NetworkMode', 'container:abc'],
      ['PidMode', 'host'],
      ['IpcMode', 'host'],
      ['UsernsMode', 'host'],
      ['UTSMode', 'host'],
      ['CgroupnsMode', 'host'],
    ]) {
      expect(rules({ [key!]: mode })[0]![1]).toMatch(/namespace/);
    }
    expect(rules({ SecurityOpt: ['seccomp=unconfined'] })[0]![1]).toMatch(/security options/);
    expect(rules({ Runtime: 'runc-evil' })[0]![1]).toMatch(/runtime/);
  });

  it('refuses raw keys it does not know to be harmless', () => {
    expect(rules({ VolumesFrom: ['other'] })[0]![1]).toMatch(/raw HostConfig key VolumesFrom/);
    expect(rules({ CgroupParent: '/' })[0]![1]).toMatch(/CgroupParent/);
    expect(rules({ Sysctls: { 'net.ipv4.ip_forward': '1' } })[0]![1]).toMatch(/Sysctls/);
  });

  it('allows what harms no host: bridge networks, GPU requests, dropping capabilities, harmless raw keys', () => {
    expect(
      rules({
        NetworkMode: 'my-net',
        IpcMode: 'private',
        DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }],
        CapDrop: ['ALL'],
        ShmSize: 1024,
        Init: true,
        Mounts: [],
        Binds: [],
        Runtime: '',
      }),
    ).toEqual([]);
    expect(rules({ DeviceRequests: [{ Driver: 'evil', Capabilities: [['gpu']] }] })[0]![1]).toMatch(/GPU/);
    expect(rules({ DeviceRequests: [{ Capabilities: [['compute']] }] })[0]![1]).toMatch(/GPU/);
  });

  it('lets a policy allow each one', () => {
    expect(rules({ Privileged: true }, { privileged: true })).toEqual([]);
    expect(rules({ CapAdd: ['cap_sys_ptrace'] }, { capAdd: ['SYS_PTRACE'] })).toEqual([]);
    expect(rules({ CapAdd: ['SYS_ADMIN'] }, { capAdd: ['SYS_PTRACE'] })).toHaveLength(1);
    expect(rules({ CapAdd: ['SYS_ADMIN'] }, { capAdd: ['ALL'] })).toEqual([]);
    expect(rules({ NetworkMode: 'host' }, { hostNamespaces: ['network'] })).toEqual([]);
    expect(rules({ PidMode: 'host' }, { hostNamespaces: ['network'] })).toHaveLength(1);
    expect(rules({ Runtime: 'nvidia' }, { runtimes: ['nvidia'] })).toEqual([]);
    expect(rules({ Sysctls: {} }, { rawHostConfig: ['Sysctls'] })).toEqual([]);
  });

  it('refuses raw top-level create options that bypass the rules', () => {
    const top = (o: Record<string, unknown>) => createOptionsViolations(o, secure.allow).map((v) => v.field);
    expect(
      top({ Image: 'evil/image', Volumes: { '/x': {} }, NetworkingConfig: {}, Env: ['A=1'], HostConfig: {} }),
    ).toEqual(['createOptions.Image', 'createOptions.Volumes', 'createOptions.NetworkingConfig']);
  });

  it('reads the host paths of Binds and Mounts, and refuses named volumes', () => {
    const { mounts, violations } = hostConfigMounts({
      Binds: ['/:/hroot', '/srv:/srv:ro,z', 'named:/data'],
      Mounts: [
        { Type: 'bind', Source: '/etc', Target: '/e', ReadOnly: true },
        { Type: 'tmpfs', Target: '/t' },
        { Type: 'volume', Source: 'v', Target: '/v' },
      ],
    });
    expect(mounts).toEqual([
      { field: 'createOptions.HostConfig.Binds[0]', hostPath: '/', access: 'rw' },
      { field: 'createOptions.HostConfig.Binds[1]', hostPath: '/srv', access: 'ro' },
      { field: 'createOptions.HostConfig.Mounts[0].Source', hostPath: '/etc', access: 'ro' },
    ]);
    expect(violations.map((v) => v.field)).toEqual([
      'createOptions.HostConfig.Binds[2]',
      'createOptions.HostConfig.Mounts[2]',
    ]);
  });
});

describe('limits', () => {
  const limits = parseWorkerPolicy({ limits: { memory: '1g', cpus: 1, pids: 100 } }).limits;

  it('refuses asking more, or unlimited', () => {
    const fields = (hc: Record<string, unknown>) =>
      limitViolations(hc, limits).map((v) => v.field.split('.').pop());
    expect(fields({ Memory: 2 * 1024 ** 3, NanoCpus: 2e9, PidsLimit: 1000 })).toEqual([
      'Memory',
      'NanoCpus',
      'PidsLimit',
    ]);
    expect(fields({ Memory: 0, PidsLimit: -1, CpuQuota: 200_000, CpuPeriod: 100_000 })).toEqual([
      'Memory',
      'CpuQuota',
      'PidsLimit',
    ]);
    expect(fields({ Memory: 1024 ** 3, NanoCpus: 5e8, PidsLimit: 50 })).toEqual([]);
  });

  it('applies the limits as defaults', () => {
    const body: Record<string, unknown> = { HostConfig: { Memory: 1000 } };
    applyLimitDefaults(body, limits);
    expect(body.HostConfig).toEqual({ Memory: 1000, NanoCpus: 1e9, PidsLimit: 100 });
  });
});

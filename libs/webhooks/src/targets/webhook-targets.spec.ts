import type { AppConfig } from '@app/config';
import { HostResolver, type ResolvedAddress, TargetRefusedError, WebhookTargets } from './webhook-targets';

/** A DNS that answers what the test says, in order (the last answer repeats). */
class ScriptedDns extends HostResolver {
  readonly asked: string[] = [];
  constructor(private readonly answers: (ResolvedAddress[] | Error)[]) {
    super();
  }
  override async lookup(hostname: string): Promise<ResolvedAddress[]> {
    this.asked.push(hostname);
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

const config = (allowPrivate: boolean) => ({ webhooks: { allowPrivate } }) as AppConfig;
const PUBLIC: ResolvedAddress[] = [{ address: '93.184.215.14', family: 4 }];
const v4 = (address: string): ResolvedAddress[] => [{ address, family: 4 }];

describe('WebhookTargets without WEBHOOKS_ALLOW_PRIVATE', () => {
  it('saves an https URL whose host resolves to public addresses only', async () => {
    const dns = new ScriptedDns([[...PUBLIC, { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }]]);
    expect(await new WebhookTargets(config(false), dns).problemWith('https://hooks.example.com/in?x=1')).toBeNull();
    expect(dns.asked).toEqual(['hooks.example.com']);
  });

  it.each([
    ['plain http', 'http://hooks.example.com/', /https/],
    ['another scheme', 'ftp://hooks.example.com/', /https/],
    ['not a URL', 'hooks.example.com', /absolute URL/],
    ['credentials', 'https://user:pw@hooks.example.com/', /credentials/],
    ['loopback literal', 'https://127.0.0.1:8443/', /public address/],
    ['IPv6 loopback literal', 'https://[::1]/', /public address/],
    ['IPv4-mapped literal', 'https://[::ffff:127.0.0.1]/', /public address/],
    ['metadata literal', 'https://169.254.169.254/latest/meta-data', /public address/],
    ['localhost', 'https://localhost/', /public address/],
    ['a .localhost name', 'https://api.localhost/', /public address/],
  ])('refuses %s', async (_, url, why) => {
    const dns = new ScriptedDns([PUBLIC]);
    expect(await new WebhookTargets(config(false), dns).problemWith(url)).toMatch(why);
  });

  it('refuses a name with any private address among its answers', async () => {
    const dns = new ScriptedDns([[...PUBLIC, { address: '10.0.0.7', family: 4 }]]);
    expect(await new WebhookTargets(config(false), dns).problemWith('https://mixed.example.com/')).toMatch(/public address/);
  });

  it('saves a name that does not resolve yet (delivery checks it again)', async () => {
    const dns = new ScriptedDns([new Error('getaddrinfo ENOTFOUND')]);
    expect(await new WebhookTargets(config(false), dns).problemWith('https://not-yet.example.com/')).toBeNull();
  });

  it('checks again at delivery: a name that now resolves to loopback (DNS rebinding) is refused', async () => {
    const dns = new ScriptedDns([PUBLIC, v4('127.0.0.1')]);
    const targets = new WebhookTargets(config(false), dns);
    const url = new URL('https://rebind.example.com/hook');
    expect(await targets.problemWith(url.href)).toBeNull();
    await expect(targets.resolve(url)).rejects.toThrow(TargetRefusedError);
    await expect(targets.resolve(url)).rejects.toThrow(/127\.0\.0\.1/);
  });

  it('resolves a delivery to a checked public address, which the connection then uses', async () => {
    const targets = new WebhookTargets(config(false), new ScriptedDns([PUBLIC]));
    expect(await targets.resolve(new URL('https://hooks.example.com/'))).toEqual(PUBLIC[0]);
    expect(await targets.resolve(new URL('https://[2606:4700:4700::1111]/'))).toEqual({ address: '2606:4700:4700::1111', family: 6 });
  });

  it('refuses at delivery an http URL and private literals, without asking the DNS', async () => {
    const dns = new ScriptedDns([PUBLIC]);
    const targets = new WebhookTargets(config(false), dns);
    await expect(targets.resolve(new URL('http://hooks.example.com/'))).rejects.toThrow(TargetRefusedError);
    for (const url of ['https://10.1.2.3/', 'https://[fd00:ec2::254]/', 'https://[::ffff:a9fe:a9fe]/']) {
      await expect(targets.resolve(new URL(url))).rejects.toThrow(TargetRefusedError);
    }
    expect(dns.asked).toEqual([]);
  });
});

describe('WebhookTargets with WEBHOOKS_ALLOW_PRIVATE=true', () => {
  it('saves and delivers to loopback and private addresses, over http too', async () => {
    const targets = new WebhookTargets(config(true), new ScriptedDns([v4('10.0.0.7')]));
    expect(await targets.problemWith('http://127.0.0.1:8080/hook')).toBeNull();
    expect(await targets.problemWith('http://receiver.internal/hook')).toBeNull();
    expect(await targets.resolve(new URL('http://receiver.internal/hook'))).toEqual(v4('10.0.0.7')[0]);
    expect(await targets.problemWith('ftp://127.0.0.1/')).toMatch(/https:\/\/ or http:\/\//);
  });
});

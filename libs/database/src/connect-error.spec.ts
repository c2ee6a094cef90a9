import { connectFailureReason, databaseAddress, DatabaseConnectError } from './connect-error';

describe('DatabaseConnectError', () => {
  it("names DATABASE_URL's host and port and the driver's reason, never the user or the password", () => {
    const url = 'postgres://bob:hunter2@db.internal:6543/identity';
    const err = new DatabaseConnectError(url, Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6543'), { code: 'ECONNREFUSED' }));
    expect(err.message).toBe('Cannot connect to the database at db.internal:6543 (DATABASE_URL): connect ECONNREFUSED 10.0.0.7:6543');
    expect(err.message).not.toMatch(/bob|hunter2/);
  });

  it('defaults the port to 5432 and brackets IPv6 hosts', () => {
    expect(databaseAddress('postgres://u@127.0.0.1/x')).toBe('127.0.0.1:5432');
    expect(databaseAddress('postgresql://u@[::1]:5433/x')).toBe('[::1]:5433');
  });

  it("masks the password should a driver echo it, and reads Node's dual-stack AggregateError", () => {
    const url = 'postgres://bob:s%40cret@db/x';
    expect(connectFailureReason(new Error('auth failed for s@cret\nsecond line'), url)).toBe('auth failed for ***');
    const aggregate = Object.assign(
      new AggregateError([Object.assign(new Error(''), { code: 'ECONNREFUSED' }), new Error('connect ENETUNREACH ::1:5432')], ''),
      {
        code: 'ECONNREFUSED',
      },
    );
    expect(connectFailureReason(aggregate, url)).toBe('ECONNREFUSED; connect ENETUNREACH ::1:5432');
  });
});

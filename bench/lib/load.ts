import autocannon from 'autocannon';

/** One scenario's load: autocannon's options but the target and the duration. */
export type Shape = Omit<autocannon.Options, 'url' | 'duration'>;

/** One fixed-duration autocannon run against `url`. */
export async function cannon(url: string, shape: Shape, seconds: number): Promise<autocannon.Result> {
  // autocannon takes the path of a single-request run from the URL
  const { path, ...rest } = shape;
  const target = path && !shape.requests ? `${url}${path}` : url;
  const instance = autocannon({ timeout: 30, ...rest, url: target, duration: seconds });
  // a hard bound on top of autocannon's own duration
  const guard = setTimeout(() => instance.stop(), (seconds + 40) * 1000);
  try {
    return await instance;
  } finally {
    clearTimeout(guard);
  }
}

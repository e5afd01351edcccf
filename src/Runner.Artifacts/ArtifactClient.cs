using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Runner.Artifacts;

/// <summary>An artifact the coordinator does not have (never uploaded, or deleted).</summary>
public sealed class ArtifactMissingException(string message) : Exception(message);

/// <summary>
/// Moves artifacts to and from a coordinator's HTTP API (see docs/cluster.md for the protocol). Transfers stream
/// through 1 MiB buffers, so memory does not grow with the artifact; a dropped connection resumes where the other
/// side's bytes end (uploads ask the coordinator for its offset, downloads keep a .part file and ask for the rest
/// with a Range header); every artifact is checked against its SHA-256 before anyone uses it. It gives up after
/// <see cref="Attempts"/> attempts in a row that moved no byte.
/// </summary>
public sealed class ArtifactClient
{
    public const int Attempts = 6;
    public const string OffsetHeader = "Upload-Offset";
    public const string LengthHeader = "Upload-Length";
    static readonly HttpClient Shared = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        // A single request may move a GiB on a slow link; a stalled one is caught by the read timeout below instead.
        Timeout = Timeout.InfiniteTimeSpan,
    };
    /// <summary>A transfer that moves no byte for this long is dropped and resumed (a partition, a dead peer).</summary>
    public static TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    readonly HttpClient _http;
    public Uri BaseUrl { get; }

    public ArtifactClient(string baseUrl, HttpClient? http = null)
    {
        BaseUrl = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
        _http = http ?? Shared;
    }

    Uri Artifact(string sha) => new(BaseUrl, "artifacts/" + ContentHash.Check(sha));
    Uri Ref(string name) => new(BaseUrl, "refs/" + (ContentStore.IsValidRef(name) ? name : throw new ArgumentException($"'{name}' is not a valid ref name")));

    public async Task<bool> Has(string sha, CancellationToken cancel = default) => (await Probe(sha, cancel)).Complete;

    async Task<(bool Complete, long Offset)> Probe(string sha, CancellationToken cancel)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, Artifact(sha)), cancel);
        if (response.StatusCode == HttpStatusCode.OK) return (true, 0);
        if (response.StatusCode != HttpStatusCode.NotFound) throw Unexpected(response, "asking for artifact " + sha[..12]);
        return (false, response.Headers.TryGetValues(OffsetHeader, out var v) && long.TryParse(v.FirstOrDefault(), out long o) ? o : 0);
    }

    /// <summary>
    /// Uploads a file under its SHA-256 unless the coordinator has it; returns the bytes actually sent.
    /// <paramref name="progress"/> hears the total bytes the coordinator holds as they grow.
    /// </summary>
    public async Task<long> Upload(string path, string sha, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        long total = new FileInfo(path).Length, sent = 0;
        for (int idle = 0; ; )
        {
            long before = sent;
            try
            {
                var (complete, offset) = await Probe(sha, cancel);
                if (complete) { progress?.Report(total); return sent; }
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
                if (file.Length != total) throw new IOException($"{path} changed while it was being uploaded");
                file.Seek(offset, SeekOrigin.Begin);
                var body = new CountingStream(file, n => { sent += n; progress?.Report(offset + (sent - before)); });
                using var request = new HttpRequestMessage(HttpMethod.Put, Artifact(sha)) { Content = new StreamContent(body, 1 << 20) };
                request.Content.Headers.ContentLength = total - offset;
                request.Headers.Add(OffsetHeader, offset.ToString());
                request.Headers.Add(LengthHeader, total.ToString());
                using var response = await WithStallTimeout(body, t => _http.SendAsync(request, t), cancel);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.Created or HttpStatusCode.OK:
                        progress?.Report(total);
                        return sent;
                    case HttpStatusCode.UnprocessableEntity:
                        throw new IOException($"{path}: the coordinator received bytes that do not match its SHA-256 (did the file change during the upload?)");
                    case HttpStatusCode.Conflict or HttpStatusCode.Accepted:
                        break;   // ask for the offset again and go on
                    default:
                        throw Unexpected(response, "uploading " + Path.GetFileName(path));
                }
            }
            catch (Exception e) when (Transient(e, cancel))
            {
                if (sent == before && ++idle >= Attempts) throw new IOException($"uploading {Path.GetFileName(path)}: {e.Message} ({Attempts} attempts without progress)", e);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Min(10, 1 << idle)), cancel);
                continue;
            }
            if (sent > before) idle = 0;
        }
    }

    /// <summary>Downloads an artifact to <paramref name="target"/>, resuming a .part file left by an earlier attempt, and verifies it.</summary>
    public async Task Download(string sha, string target, CancellationToken cancel = default)
    {
        string part = target + ".part";
        for (int idle = 0; ; )
        {
            long before = File.Exists(part) ? new FileInfo(part).Length : 0;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, Artifact(sha));
                if (before > 0) request.Headers.Range = new RangeHeaderValue(before, null);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
                if (response.StatusCode == HttpStatusCode.NotFound) throw new ArtifactMissingException($"the coordinator has no artifact {sha[..12]}…");
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) File.Delete(part);
                else if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent)) throw Unexpected(response, "downloading " + sha[..12]);
                else
                {
                    var mode = response.StatusCode == HttpStatusCode.PartialContent ? FileMode.Append : FileMode.Create;
                    await using var file = new FileStream(part, mode, FileAccess.Write, FileShare.None, 1 << 20);
                    await using var body = await response.Content.ReadAsStreamAsync(cancel);
                    var counted = new CountingStream(body, _ => { });
                    await WithStallTimeout(counted, t => counted.CopyToAsync(file, 1 << 20, t), cancel);
                }
                if (File.Exists(part) && ContentHash.Matches(part, sha))
                {
                    File.Move(part, target, overwrite: true);
                    return;
                }
                // Whole but wrong (a damaged part from an earlier run): start again from nothing.
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent) File.Delete(part);
            }
            catch (Exception e) when (Transient(e, cancel))
            {
                long now = File.Exists(part) ? new FileInfo(part).Length : 0;
                if (now == before && ++idle >= Attempts) throw new IOException($"downloading artifact {sha[..12]}: {e.Message} ({Attempts} attempts without progress)", e);
                if (now > before) idle = 0;
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Min(10, 1 << idle)), cancel);
                continue;
            }
            if (++idle >= Attempts) throw new IOException($"downloading artifact {sha[..12]}: its bytes do not match its SHA-256 after {Attempts} attempts");
        }
    }

    public async Task<string?> GetRef(string name, CancellationToken cancel = default)
    {
        using var response = await Retry(() => _http.GetAsync(Ref(name), cancel), cancel);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode) throw Unexpected(response, "reading ref " + name);
        return (await response.Content.ReadFromJsonAsync<RefBody>(cancel))!.Sha256;
    }

    /// <summary>
    /// PUT sets the ref; with <paramref name="claim"/> only when it names nothing yet; with
    /// <paramref name="dropPrevious"/> the object it named before is deleted. Returns what it names now.
    /// </summary>
    public async Task<string> SetRef(string name, string sha, bool claim = false, bool dropPrevious = false, CancellationToken cancel = default)
    {
        var uri = new Uri(Ref(name) + (claim ? "?claim=true" : dropPrevious ? "?drop_previous=true" : ""));
        using var response = await Retry(() => _http.PutAsJsonAsync(uri, new RefBody(sha), cancel), cancel);
        if (!response.IsSuccessStatusCode) throw Unexpected(response, "setting ref " + name);
        return (await response.Content.ReadFromJsonAsync<RefBody>(cancel))!.Sha256;
    }

    public async Task DeleteRef(string name, CancellationToken cancel = default)
    {
        using var response = await Retry(() => _http.DeleteAsync(Ref(name), cancel), cancel);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound) throw Unexpected(response, "deleting ref " + name);
    }

    public sealed record RefBody(string Sha256);

    /// <summary>Small requests: retried a few times over a dropped connection.</summary>
    async Task<HttpResponseMessage> Retry(Func<Task<HttpResponseMessage>> send, CancellationToken cancel)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await send().WaitAsync(StallTimeout, cancel);
            }
            catch (Exception e) when (Transient(e, cancel) && attempt < Attempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancel);
            }
        }
    }

    /// <summary>Runs a transfer, cancelling it when <paramref name="counted"/> has moved no byte for <see cref="StallTimeout"/>.</summary>
    static async Task<T> WithStallTimeout<T>(CountingStream counted, Func<CancellationToken, Task<T>> transfer, CancellationToken cancel)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var task = transfer(stall.Token);
        long seen = -1;
        while (!task.IsCompleted)
        {
            if (await Task.WhenAny(task, Task.Delay(StallTimeout, cancel)) == task) break;
            if (counted.Moved == seen)
            {
                stall.Cancel();
                break;
            }
            seen = counted.Moved;
        }
        try { return await task; }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { throw new IOException($"no byte moved for {StallTimeout.TotalSeconds:F0}s"); }
    }

    static Task WithStallTimeout(CountingStream counted, Func<CancellationToken, Task> transfer, CancellationToken cancel) =>
        WithStallTimeout(counted, async t => { await transfer(t); return true; }, cancel);

    static bool Transient(Exception e, CancellationToken cancel) =>
        !cancel.IsCancellationRequested && e is HttpRequestException or IOException or TaskCanceledException or TimeoutException
        && e is not ArtifactMissingException && !(e is IOException io && io.Message.Contains("SHA-256"));

    static Exception Unexpected(HttpResponseMessage response, string what) =>
        new HttpRequestException($"{what}: the coordinator answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);

    /// <summary>Counts the bytes read through it (progress, and stall detection).</summary>
    sealed class CountingStream(Stream inner, Action<int> onRead) : Stream
    {
        long _moved;
        public long Moved => Interlocked.Read(ref _moved);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel = default) => Counted(await inner.ReadAsync(buffer, cancel));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancel) => ReadAsync(buffer.AsMemory(offset, count), cancel).AsTask();
        int Counted(int n)
        {
            Interlocked.Add(ref _moved, n);
            onRead(n);
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

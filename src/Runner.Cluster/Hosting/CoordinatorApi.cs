using System.Net;
using System.Text.Json;
using Akka.Actor;
using Runner.Cluster.Protocol;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;

namespace Runner.Cluster.Hosting;

/// <summary>
/// The coordinator's small HTTP API, bound to loopback by default: how `runner submit|status|cancel|resume` reach a
/// running cluster from a shell. JSON in and out.
/// <list type="bullet">
/// <item>POST /sweeps {sweep: {name, trials, max_failures, early_stop}, new, rerun} → the sweep's id and trial count (409 on a name conflict)</item>
/// <item>GET /sweeps → every sweep with its status; GET /sweeps/ID → one (404 if unknown); GET /sweeps/ID/progress → live</item>
/// <item>POST /sweeps/ID/cancel, POST /sweeps/ID/resume</item>
/// <item>GET /workers → the workers the pool knows</item>
/// <item>/artifacts and /refs: the artifact store (<see cref="ArtifactRoutes"/>)</item>
/// </list>
/// </summary>
public sealed class CoordinatorApi : IDisposable
{
    public sealed record SubmitRequest(SweepRequest Sweep, bool New = false, bool Rerun = false);

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);
    readonly HttpListener _listener = new();
    readonly RunnerNode _node;
    readonly ArtifactRoutes _artifacts;

    public string Url { get; }

    public CoordinatorApi(RunnerNode node, string host, int port)
    {
        _node = node;
        _artifacts = new ArtifactRoutes(new Runner.Artifacts.ContentStore(node.Options.ArtifactStoreFolder));
        Url = $"http://{host}:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _ = Task.Run(Loop);
    }

    async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (!_listener.IsListening) { return; }
            catch (HttpListenerException) { continue; }
            _ = Task.Run(() => Handle(context));
        }
    }

    async Task Handle(HttpListenerContext http)
    {
        string[] path = http.Request.Url!.AbsolutePath.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (ArtifactRoutes.Serves(path))
        {
            await _artifacts.Handle(http, path);
            return;
        }
        var (status, body) = (500, (object)new { error = "internal error" });
        try
        {
            (status, body) = await Route(http.Request);
        }
        catch (SweepConflictException e) { (status, body) = (409, new { error = e.Message }); }
        catch (JsonException e) { (status, body) = (400, new { error = "bad JSON: " + e.Message }); }
        catch (AskTimeoutException) { (status, body) = (503, new { error = "the cluster did not answer in time (is a coordinator up?)" }); }
        catch (Exception e) { (status, body) = (500, new { error = e.Message }); }
        try
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(http.Response.OutputStream, body, Json);
            http.Response.Close();
        }
        catch (Exception) { /* the client went away */ }
    }

    async Task<(int, object)> Route(HttpListenerRequest request)
    {
        string[] path = request.Url!.AbsolutePath.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string method = request.HttpMethod;
        var store = _node.Results!;
        switch (path)
        {
            case ["sweeps"] when method == "POST":
                var submit = await JsonSerializer.DeserializeAsync<SubmitRequest>(request.InputStream, Json)
                             ?? throw new JsonException("empty body");
                var command = SweepSubmission.Prepare(store, submit.Sweep ?? throw new JsonException("no sweep in the request"), submit.New, submit.Rerun);
                var accepted = await _node.Sweeps.Ask<Accepted>(command, AskTimeout);
                await Stored(accepted.SweepId);
                return (200, new { accepted.SweepId, accepted.Trials, accepted.AlreadyKnown, reused = command.Reused.Length });
            case ["sweeps"] when method == "GET":
                var all = new List<SweepStatus>();
                foreach (var sweep in store.Sweeps()) all.Add(await _node.Sweeps.Ask<SweepStatus>(new GetStatus(sweep.SweepId), AskTimeout));
                return (200, all);
            case ["sweeps", var id] when method == "GET":
                return await Known(id);
            case ["sweeps", var id, "progress"] when method == "GET":
                if (await Known(id) is not (200, _) and var unknown) return unknown;
                return (200, await _node.Sweeps.Ask<SweepProgress>(new GetProgress(id), AskTimeout));
            case ["sweeps", var id, "cancel"] when method == "POST":
                if (await Known(id) is not (200, _) and var missing) return missing;
                return (200, await _node.Sweeps.Ask<SweepStatus>(new Cancel(id), AskTimeout));
            case ["sweeps", var id, "resume"] when method == "POST":
                // Waking the sweep makes it re-announce its pending trials to the pool.
                return await Known(id);
            case ["workers"] when method == "GET":
                return (200, (await _node.Pool.Ask<PoolMessages.Workers>(new PoolMessages.GetWorkers(), AskTimeout)).All);
            default:
                return (404, new { error = $"no such endpoint: {method} {request.Url.AbsolutePath}" });
        }
    }

    /// <summary>
    /// The results store is written just behind the journal (in batches): wait for a new sweep's row, so that a
    /// `runner status` right after `runner submit` finds it.
    /// </summary>
    async Task Stored(string id)
    {
        var deadline = DateTime.UtcNow + AskTimeout;
        while (_node.Results!.Sweeps().All(s => s.SweepId != id) && DateTime.UtcNow < deadline) await Task.Delay(10);
    }

    async Task<(int, object)> Known(string id)
    {
        if (_node.Results!.Sweeps().All(s => s.SweepId != id)) return (404, new { error = $"no sweep '{id}' in this cluster" });
        return (200, await _node.Sweeps.Ask<SweepStatus>(new GetStatus(id), AskTimeout));
    }

    public void Dispose()
    {
        if (_listener.IsListening) _listener.Stop();
        _listener.Close();
    }
}

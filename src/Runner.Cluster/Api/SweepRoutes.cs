using System.Text.Json;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Runner.Cluster.Hosting;
using Runner.Cluster.Protocol;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cluster.Api;

/// <summary>
/// The sweeps and workers of the API:
/// <list type="bullet">
/// <item>POST /sweeps {sweep: {name, trials, max_failures, early_stop, device}, new, rerun} → the sweep's id and trial count
/// (400 with the reason when the sweep is not one Runner can run, 409 on a name conflict, 413 when too large)</item>
/// <item>POST /sweeps/file {file: YAML text, name, files: {path as written: SHA-256 uploaded}, new, rerun} → the same,
/// for clients that cannot expand a sweep file themselves (the Python client): the coordinator validates it (400 with
/// every problem at its line and column in <c>errors</c>), answers 422 with <c>uploads</c> listing the weight file and
/// image folder it names that must be uploaded first, then expands and submits it as `runner submit` would</item>
/// <item>GET /sweeps → every sweep with its status; GET /sweeps/ID → one (404 if unknown); GET /sweeps/ID/progress → live</item>
/// <item>POST /sweeps/ID/cancel, POST /sweeps/ID/resume</item>
/// <item>GET /workers → the workers the pool knows</item>
/// </list>
/// </summary>
public static class SweepRoutes
{
    static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    /// <param name="store">the artifact store clients upload to (null on a standby)</param>
    public static void Map(IEndpointRouteBuilder app, RunnerNode node, int maxTrials, Runner.Artifacts.IContentStore? store)
    {
        app.MapPost("/sweeps", Handler(http => Submit(http, node, maxTrials)));
        app.MapPost("/sweeps/file", Handler(http => SubmitFile(http, node, maxTrials, store)));
        app.MapGet("/sweeps", Handler(async _ =>
        {
            var all = new List<SweepStatus>();
            foreach (var sweep in node.Results!.Sweeps()) all.Add(await node.Sweeps.Ask<SweepStatus>(new GetStatus(sweep.SweepId), AskTimeout));
            return (200, all);
        }));
        app.MapGet("/sweeps/{id}", Handler(http => Known(node, Id(http))));
        app.MapGet("/sweeps/{id}/progress", Handler(async http =>
            await Known(node, Id(http)) is not (200, _) and var unknown ? unknown : (200, await node.Sweeps.Ask<SweepProgress>(new GetProgress(Id(http)), AskTimeout))));
        app.MapPost("/sweeps/{id}/cancel", Handler(async http =>
            await Known(node, Id(http)) is not (200, _) and var unknown ? unknown : (200, await node.Sweeps.Ask<SweepStatus>(new Cancel(Id(http)), AskTimeout))));
        // Waking the sweep makes it re-announce its pending trials to the pool.
        app.MapPost("/sweeps/{id}/resume", Handler(http => Known(node, Id(http))));
        app.MapGet("/workers", Handler(async _ => (200, (await node.Pool.Ask<PoolMessages.Workers>(new PoolMessages.GetWorkers(), AskTimeout)).All)));
    }

    /// <summary>A route whose handler answers with a status and a body, written as JSON.</summary>
    static RequestDelegate Handler(Func<HttpContext, Task<(int Status, object Body)>> handle) => async http =>
    {
        var (status, body) = await handle(http);
        await ApiReply.Json(http, status, body);
    };

    static async Task<(int, object)> Submit(HttpContext http, RunnerNode node, int maxTrials)
    {
        var submit = await JsonSerializer.DeserializeAsync<CoordinatorApi.SubmitRequest>(http.Request.Body, ApiReply.Strict, http.RequestAborted)
                     ?? throw new JsonException("the body is empty");
        return await Accept(node, maxTrials, submit.Sweep, submit.New, submit.Rerun);
    }

    static async Task<(int, object)> SubmitFile(HttpContext http, RunnerNode node, int maxTrials, Runner.Artifacts.IContentStore? store)
    {
        var submit = await JsonSerializer.DeserializeAsync<CoordinatorApi.SubmitFileRequest>(http.Request.Body, ApiReply.Strict, http.RequestAborted)
                     ?? throw new JsonException("the body is empty");
        if (string.IsNullOrWhiteSpace(submit.File)) return (400, new { error = "file: the sweep file's text is missing" });
        var sources = new UploadedSources(store, Path.Combine(node.Options.StateFolder, "submitted"), submit.Files ?? new Dictionary<string, string>());
        SweepDefinition definition;
        try { definition = SweepFile.Parse(submit.File, submit.Name ?? "sweep.yaml", sources); }
        catch (SweepFileException e)
        {
            var problems = e.Errors.Where(p => p.Upload == null).ToList();
            if (problems.Count > 0)
                return (400, new { error = string.Join("\n", problems), errors = problems.Select(p => new { p.File, p.Line, p.Column, p.Message }) });
            if (store == null) return (503, new { error = "this coordinator is a standby: a sweep with files to upload goes to the active one" });
            return (422, new
            {
                error = $"upload first: {string.Join(", ", e.Errors.Select(p => p.Upload!.Path))}",
                uploads = e.Errors.Select(p => new { p.Upload!.Path, Kind = p.Upload.KindName, Extensions = p.Upload.Kind == SourceKind.ImageFolder ? ImageFolderLayout.Extensions : null }),
            });
        }
        catch (UploadedSourceException e) { return (400, new { error = e.Message }); }
        var request = SweepRequest.From(definition);
        // The folder travels to workers as the archive the client uploaded, like `runner submit`'s.
        if (sources.Any)
            request = request.WithSpecs(t => t.IsImageFolder ? t with { DataArchiveSha256 = sources.ArchiveOf(t.DataPath!) } : t);
        return await Accept(node, maxTrials, request, submit.New, submit.Rerun, definition.Warnings);
    }

    /// <summary>Every door's last step: the limits, the rules a remote sweep must meet, then the sweep actors.</summary>
    /// <param name="warnings">what the sweep file's validation warned of, passed on to the client</param>
    static async Task<(int, object)> Accept(RunnerNode node, int maxTrials, SweepRequest? sweep, bool startNew, bool rerun,
        IReadOnlyList<SweepError>? warnings = null)
    {
        long trials = (sweep?.Trials?.Length ?? 0) + (sweep?.Search?.Studies == null ? 0 : sweep.Search.MaxTrials);
        if (trials > maxTrials)
            return (413, new { error = $"the sweep has {(sweep!.Search == null ? "" : "up to ")}{trials:N0} trials, more than this coordinator takes ({maxTrials:N0}, its --max-trials)" });
        if (SubmittedSweepRules.Problems(sweep) is { Count: > 0 } problems)
            return (400, new { error = string.Join("; ", problems) });
        var command = SweepSubmission.Prepare(node.Results!, FromRemote(sweep!), startNew, rerun);
        var accepted = await node.Sweeps.Ask<Accepted>(command, AskTimeout);
        await Stored(node, accepted.SweepId);
        return (200, new { accepted.SweepId, accepted.Trials, accepted.AlreadyKnown, reused = command.Reused.Length,
            warnings = (warnings ?? Array.Empty<SweepError>()).Select(w => w.ToString()) });
    }

    /// <summary>
    /// A worker never opens a path a remote client named, except to check a declared artifact (a weight file or
    /// image folder that must hash to what the sweep recorded, else it is fetched from the coordinator): the folder a
    /// built-in dataset was validated against on the client is dropped, and workers read their own copy (--data).
    /// </summary>
    static SweepRequest FromRemote(SweepRequest request) =>
        request.WithSpecs(t => t.IsImageFolder || t.DataPath == null ? t : t with { DataPath = null });

    static string Id(HttpContext http) => (string)http.Request.RouteValues["id"]!;

    /// <summary>
    /// The results store is written just behind the journal (in batches): wait for a new sweep's row, so that a
    /// `runner status` right after `runner submit` finds it.
    /// </summary>
    static async Task Stored(RunnerNode node, string id)
    {
        var deadline = DateTime.UtcNow + AskTimeout;
        while (node.Results!.Sweeps().All(s => s.SweepId != id) && DateTime.UtcNow < deadline) await Task.Delay(10);
    }

    static async Task<(int, object)> Known(RunnerNode node, string id)
    {
        if (node.Results!.Sweeps().All(s => s.SweepId != id)) return (404, new { error = $"no sweep '{id}' in this cluster" });
        return (200, await node.Sweeps.Ask<SweepStatus>(new GetStatus(id), AskTimeout));
    }
}

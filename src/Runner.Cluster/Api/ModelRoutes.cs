using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Runner.Artifacts;
using Runner.Cluster.Hosting;
using Runner.Cluster.Projection;
using Runner.Results;
using Runner.Sweeps;

namespace Runner.Cluster.Api;

/// <summary>
/// The models sweeps keep (<see cref="KeptModels"/>), for people: GET /sweeps/ID/trials/TRIAL/model answers the
/// trial's selected weights as a safetensors file (state_dict names; a viewer may download it, and the dashboard's
/// trial page links it), or 404 with why there is none. GET /sweeps/ID/models lists the trials whose models are
/// kept. Every few seconds <see cref="ModelPruning"/> deletes the models of finished sweeps that their rule does not keep.
/// </summary>
public sealed class ModelRoutes(RunnerNode node, IContentStore store, ArtifactRoutes artifacts) : IDisposable
{
    readonly ModelPruning? _pruning = node.Results == null ? null : new ModelPruning(node.Results, store);
    Timer? _timer;

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/sweeps/{id}/trials/{trial}/model", Model);
        app.MapGet("/sweeps/{id}/models", http => ApiReply.Json(http, 200, new
        {
            Kept = (node.Results?.Trials((string)http.Request.RouteValues["id"]!) ?? Array.Empty<TrialRecord>())
                .Where(t => t.Result?.ModelSha256 is { } sha && store.GetRef(KeptModels.RefName(t.TrialId)) == sha).Select(t => t.TrialId).ToArray(),
        }));
        if (_pruning != null) _timer = new Timer(_ => PruneQuietly(), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
    }

    async Task Model(HttpContext http)
    {
        string id = (string)http.Request.RouteValues["id"]!, trialId = (string)http.Request.RouteValues["trial"]!;
        var trial = node.Results?.Trials(id).FirstOrDefault(t => t.TrialId == trialId);
        if (trial == null) await ApiReply.Json(http, 404, new { error = $"no trial {trialId} in sweep {id}" });
        else if (trial.Result?.ModelSha256 is not { } sha || !store.Has(sha))
            await ApiReply.Json(http, 404, new { error = KeptModels.WhyNone(trial.TrialId, trial.Spec, trial.Result, trial.Status) });
        else await artifacts.Send(http, sha, $"{trialId}.safetensors");
    }

    void PruneQuietly()
    {
        try { _pruning!.Prune(); }
        catch (Exception e) { Serilog.Log.Warning("Models: pruning failed, tried again later: {Error}", e.Message); }
    }

    public void Dispose() => _timer?.Dispose();
}

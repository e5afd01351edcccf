using System.Diagnostics;
using Runner.Sweeps;
using Runner.Training.Models;
using TorchSharp.PyBridge;

namespace Runner.Training.Engine;

/// <summary>
/// A trial's selected weights, kept in the coordinator's artifact store (ref <c>model.TRIAL_ID</c>) when its sweep
/// keeps models (<see cref="KeptModels"/>). They are stored as safetensors with the network's state_dict names
/// (torchvision's for torchvision models, the new head under the name of the one it replaced), which PyTorch reads
/// as they are; `runner export` adds the .pt form and the description beside it.
/// </summary>
public static class KeptModel
{
    /// <summary>
    /// Writes and publishes the model as it is now (the selected epoch's weights); returns its SHA-256, or null when it
    /// could not be kept: the trial's result matters more than its weights, so that is logged, not thrown.
    /// </summary>
    public static string? Keep(TrialSpec spec, IStagedModel model, TrialEnvironment env)
    {
        var clock = Stopwatch.StartNew();
        string path = env.Artifacts.PathFor("models", $"{spec.Id}.{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Network.save_safetensors(path);
            long bytes = new FileInfo(path).Length;
            string sha = env.Shared!.Publish(path);
            env.Shared.SetRef(KeptModels.RefName(spec.Id), sha);
            env.Log?.Invoke(FormattableString.Invariant($"trial {spec.Id}: kept its model ({bytes / 1048576.0:F2} MiB) in {clock.Elapsed.TotalSeconds:F2} s"));
            return sha;
        }
        catch (Exception e) when (e is IOException or HttpRequestException or UnauthorizedAccessException or Runner.Artifacts.ArtifactMissingException)
        {
            env.Log?.Invoke($"trial {spec.Id}: its model was not kept ({e.Message})");
            return null;
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using System.Text.Json;
using Runner.Sweeps;
using Runner.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// The state of a trial after its last finished epoch: model weights (BatchNorm statistics included), optimizer
/// state and the epochs' metrics, kept in the artifact store under the trial's id. A trial that is started again
/// (its worker was lost, its coordinator restarted) continues from here, with the same result as an uninterrupted
/// run. Files are checksummed; a damaged checkpoint is ignored and the trial starts over. With a
/// <see cref="CheckpointMirror"/> each checkpoint is also copied to the coordinator, and a host that has none of its
/// own continues from that copy.
/// </summary>
public sealed class TrialCheckpoint(DerivedFiles store, string trialId, CheckpointMirror? mirror = null)
{
    readonly string _model = store.PathFor("checkpoints", trialId + ".model.dat");
    readonly string _optimizer = store.PathFor("checkpoints", trialId + ".optim.dat");
    readonly string _epochs = store.PathFor("checkpoints", trialId + ".epochs.json");
    /// <summary>The weights of the objective's best epoch so far, when the trial is tested with them and that epoch is not the last.</summary>
    readonly string _best = store.PathFor("checkpoints", trialId + ".best.dat");

    /// <summary>
    /// Restores model and optimizer; returns the epochs already done, or none when there is no usable checkpoint.
    /// <paramref name="needsBest"/> says whether, after these epochs, the best epoch's weights are needed too.
    /// </summary>
    public List<EpochMetrics> TryRestore(IStagedModel model, TorchSharp.Modules.OptimizerHelper optimizer, Action<string>? log,
        Func<IReadOnlyList<EpochMetrics>, bool>? needsBest = null)
    {
        if (!File.Exists(_epochs) && mirror?.TryFetch(Files, optional: 1) != true) return new();
        if (!DerivedFiles.IsIntact(_model) || !DerivedFiles.IsIntact(_optimizer) || !DerivedFiles.IsIntact(_epochs))
        {
            log?.Invoke($"checkpoint of trial {trialId} is damaged: starting from epoch 1");
            return new();
        }
        try
        {
            var epochs = JsonSerializer.Deserialize<List<EpochMetrics>>(File.ReadAllText(_epochs), Json) ?? new();
            if (needsBest?.Invoke(epochs) == true && !DerivedFiles.IsIntact(_best))
            {
                log?.Invoke($"checkpoint of trial {trialId} lacks its best epoch's weights: starting from epoch 1");
                return new();
            }
            model.Network.load(_model);
            optimizer.load_state_dict(_optimizer);
            log?.Invoke($"trial {trialId} continues after epoch {epochs.Count} from its checkpoint");
            return epochs;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log?.Invoke($"checkpoint of trial {trialId} does not load ({e.Message}): starting from epoch 1");
            return new();
        }
    }

    /// <param name="keepAsBest">these weights are the objective's best so far: keep them until a better epoch comes</param>
    public void Save(IStagedModel model, TorchSharp.Modules.OptimizerHelper optimizer, IReadOnlyList<EpochMetrics> epochs, bool keepAsBest = false)
    {
        DerivedFiles.WriteAtomically(_model, temp => model.Network.save(temp));
        if (keepAsBest) DerivedFiles.WriteAtomically(_best, temp => File.Copy(_model, temp, overwrite: true));
        DerivedFiles.WriteAtomically(_optimizer, temp => optimizer.save_state_dict(temp));
        // Written last: its presence says the two files above belong to these epochs.
        DerivedFiles.WriteAtomically(_epochs, temp => File.WriteAllText(temp, JsonSerializer.Serialize(epochs, Json)));
        mirror?.Offer(Files.Where(File.Exists).ToArray());
    }

    /// <summary>Loads the best epoch's weights into the model (training is over).</summary>
    public void RestoreBest(IStagedModel model) => model.Network.load(_best);

    /// <summary>The checkpoint's files; the last, the best epoch's weights, is there only when selection has kept them.</summary>
    string[] Files => new[] { _model, _optimizer, _epochs, _best };

    public void Delete()
    {
        foreach (string f in new[] { _epochs, _model, _optimizer, _best })
        {
            File.Delete(f);
            File.Delete(f + ".sha256");
        }
        mirror?.Finish();
    }

    static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
}

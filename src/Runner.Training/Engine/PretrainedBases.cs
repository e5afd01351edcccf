using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// One pretraining per base, not per trial: the checkpoint of a model pretrained on the source classes is stored in
/// the artifact store under a hash of the model, the pretraining settings and the data's fingerprint, and every trial
/// that needs the same base loads it. A checkpoint that fails its checksum or does not load is rebuilt.
/// </summary>
public static class PretrainedBases
{
    static readonly ConcurrentDictionary<string, object> Gates = new();

    public static string Key(string model, PretrainSpec pretrain, string dataFingerprint)
    {
        string text = $"{TrialSpec.BaseIdentityOf(model, pretrain)}|{dataFingerprint}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    public static string CheckpointPath(DerivedFiles store, string model, PretrainSpec pretrain, string dataFingerprint) =>
        store.PathFor("bases", $"{model}-{Key(model, pretrain, dataFingerprint)}.dat");

    /// <summary>The pretrained base on the CPU (callers move it), training and saving it first when needed.</summary>
    public static IStagedModel GetOrTrain(DerivedFiles store, string model, PretrainSpec pretrain, FashionMnist data,
        Device device, Action<string>? log, CancellationToken cancel)
    {
        string path = CheckpointPath(store, model, pretrain, data.Fingerprint);
        lock (Gates.GetOrAdd(path, _ => new object()))
        {
            return DerivedFiles.WithLock(path, () =>
            {
                if (TryLoad(path, model, pretrain.Classes.Length, log) is { } loaded) return loaded;
                log?.Invoke($"pretraining {model} on {pretrain.Dataset} classes [{string.Join(",", pretrain.Classes)}] for {pretrain.Epochs} epoch(s) → {Path.GetFileName(path)}");
                var trained = Train(model, pretrain, data, device, cancel);
                DerivedFiles.WriteAtomically(path, temp => trained.Network.save(temp));
                return trained;
            });
        }
    }

    /// <summary>The SHA-256 of a base checkpoint this store holds (recorded beside it when it was written).</summary>
    public static string Sha256Of(string checkpointPath) => File.ReadAllText(checkpointPath + ".sha256").Trim();

    /// <summary>A base checkpoint fetched from the cluster's artifact store (already verified by its SHA-256).</summary>
    public static IStagedModel Load(string path, string model, PretrainSpec pretrain)
    {
        var network = ModelZoo.Create(model, pretrain.Classes.Length);
        try
        {
            network.Network.load(path);
            return network;
        }
        catch
        {
            network.Network.Dispose();
            throw;
        }
    }

    static IStagedModel? TryLoad(string path, string model, int classes, Action<string>? log)
    {
        if (!File.Exists(path)) return null;
        if (!DerivedFiles.IsIntact(path))
        {
            log?.Invoke($"base checkpoint {Path.GetFileName(path)} is damaged (checksum mismatch): rebuilding it");
            return null;
        }
        var network = ModelZoo.Create(model, classes);
        try
        {
            network.Network.load(path);
            return network;
        }
        catch (Exception e)
        {
            network.Network.Dispose();
            log?.Invoke($"base checkpoint {Path.GetFileName(path)} does not load ({e.Message}): rebuilding it");
            return null;
        }
    }

    static IStagedModel Train(string model, PretrainSpec p, FashionMnist data, Device device, CancellationToken cancel)
    {
        var indices = TaskSplits.Source(data.Train, p.Classes);
        using var train = Splits.Of(data.Train.AsRows(), indices, p.Classes, device);
        var network = ModelZoo.Create(model, p.Classes.Length, seed: p.Seed);
        network.Network.to(device);
        var settings = new TrainingLoop.Settings(p.Epochs, p.BatchSize, p.Optimizer, p.LearningRate, 0, 0.9, p.Seed, 0);
        var diverged = TrainingLoop.Run(network, train, null, settings, null, cancel).DivergedAt;
        if (diverged != null)
            throw new InvalidOperationException($"pretraining diverged at epoch {diverged}: lower base.pretrain.lr");
        network.Network.to(CPU);
        return network;
    }
}

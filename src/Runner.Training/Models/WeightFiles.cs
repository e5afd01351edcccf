using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Runner.Training.Models;

/// <summary>A weight file that does not fit the model: every problem named, in one message.</summary>
public sealed class WeightFileException(string message) : Exception(message);

/// <summary>
/// Loads a pretrained checkpoint into a staged model: a PyTorch state_dict written by <c>torch.save</c> (.pt, .pth,
/// .bin, through TorchSharp.PyBridge), a safetensors file (.safetensors), or a TorchSharp file (.dat). Tensors are
/// matched by name; the checkpoint's own head (the model's <see cref="IStagedModel.HeadName"/>: fc, classifier.6, …) is
/// skipped by design, since the target task gets a new one, and so are modules the network leaves out (auxiliary
/// heads). Missing or unexpected tensors and shape mismatches are all reported by name, and nothing is loaded unless
/// everything fits.
/// </summary>
public static class WeightFiles
{
    /// <summary>The file types read here (the sweep validator checks names against the same list).</summary>
    public static IReadOnlyList<string> Extensions => Runner.Sweeps.SweepFile.WeightExtensions;
    /// <param name="includeHead">load the head too (same number of classes): used to check a file reproduces its logits</param>
    /// <param name="namedAs">the file's name as the user gave it, whose extension says its type (a copy fetched from the coordinator is named by its SHA-256)</param>
    public static void Load(IStagedModel model, string path, bool includeHead = false, string? namedAs = null)
    {
        if (!File.Exists(path)) throw new WeightFileException($"{path}: no such weight file");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var network = model.Network;
        var target = network.state_dict();
        bool IsHead(string key) => !includeHead && key.StartsWith(model.HeadName + ".", StringComparison.Ordinal);
        bool Dropped(string key) => model.DroppedFromCheckpoints.Any(p => key.StartsWith(p, StringComparison.Ordinal));
        var source = Read(path, Path.GetExtension(namedAs ?? path).ToLowerInvariant(), network).Where(kv => !IsHead(kv.Key) && !Dropped(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var wanted = target.Where(kv => !IsHead(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);

        var problems = new List<string>();
        var missing = wanted.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !wanted.ContainsKey(k)).ToList();
        if (missing.Count > 0) problems.Add($"missing {Names(missing)}");
        if (unexpected.Count > 0) problems.Add($"unexpected {Names(unexpected)}");
        foreach (var (key, t) in wanted)
            if (source.TryGetValue(key, out var s) && !s.shape.SequenceEqual(t.shape))
                problems.Add($"{key} is [{string.Join(", ", s.shape)}] in the file but [{string.Join(", ", t.shape)}] in {network.GetName()}");
        if (problems.Count > 0)
            throw new WeightFileException($"{path}: does not fit {network.GetName()}: {string.Join("; ", problems)}");

        foreach (var (key, t) in wanted) t.copy_(source[key].to_type(t.dtype));
    }

    static string Names(IReadOnlyList<string> keys) =>
        string.Join(", ", keys.Take(8)) + (keys.Count > 8 ? $" and {keys.Count - 8} more" : "");

    static Dictionary<string, Tensor> Read(string path, string ext, nn.Module<Tensor, Tensor> network)
    {
        try
        {
            switch (ext)
            {
                case ".pt" or ".pth" or ".bin":
                {
                    using var stream = File.OpenRead(path);
                    var table = PyTorchUnpickler.UnpickleStateDict(stream);
                    var dict = new Dictionary<string, Tensor>();
                    foreach (DictionaryEntry e in table)
                        if (e.Value is Tensor t) dict[(string)e.Key] = t;
                    return dict;
                }
                case ".safetensors":
                {
                    using var stream = File.OpenRead(path);
                    return Safetensors.LoadStateDict(stream);
                }
                case ".dat":
                {
                    // TorchSharp's own format has no names to read apart from loading: load into a copy of the
                    // state and compare what was found.
                    var loaded = new Dictionary<string, bool>();
                    network.load(path, strict: false, loadedParameters: loaded);
                    return network.state_dict().Where(kv => loaded.GetValueOrDefault(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
                }
                default:
                    throw new WeightFileException($"{path}: unknown weight file type '{ext}'; use {string.Join(", ", Extensions)}");
            }
        }
        catch (Exception e) when (e is not WeightFileException)
        {
            // The unpickler builds only tensors and plain containers; a pickle that names anything else (a hostile
            // file's os.system, say) is stopped there, and nothing in it runs. Say so plainly.
            if (System.Text.RegularExpressions.Regex.Match(e.Message, @"ClassDict \(for ([\w.]+)\)") is { Success: true } m)
                throw new WeightFileException($"{path}: refused: its pickle asks to build '{m.Groups[1].Value}'; Runner reads only tensors and plain containers from {ext} files and runs nothing in them");
            throw new WeightFileException($"{path}: cannot read it as a {ext} weight file ({e.Message})");
        }
    }
}

using System.IO.Compression;
using System.Text.RegularExpressions;

namespace Runner.Sweeps;

/// <summary>
/// How a TorchScript backbone (<c>base: {model: torchscript, weights: FILE}</c>) is cut into the stages freeze_depth
/// counts. By default its top-level children that hold parameters, in order. Or <c>base.stages</c>: a list whose
/// entries are parameter-name prefixes (<c>conv_proj</c>, <c>encoder.layers.encoder_layer_0</c>) or ranges of
/// numbered children (<c>features.2-4</c> is features.2, features.3 and features.4); a stage is every parameter whose
/// name starts with one of its entry's prefixes. Parameters in no stage train whatever the depth.
/// </summary>
public static partial class BackboneStages
{
    [GeneratedRegex(@"^(?<stem>.*?)(?<from>\d+)-(?<to>\d+)$")]
    private static partial Regex Range();

    [GeneratedRegex(@"^[A-Za-z_][\w]*(\.[\w]+)*$")]
    private static partial Regex Name();

    /// <summary>Why an entry of base.stages is not one, or null.</summary>
    public static string? Problem(string entry)
    {
        if (Range().Match(entry) is { Success: true } m)
        {
            if (int.Parse(m.Groups["from"].Value) > int.Parse(m.Groups["to"].Value)) return $"'{entry}': a range runs from the smaller number to the larger";
            if (!Name().IsMatch(m.Groups["stem"].Value + "0")) return $"'{entry}' is not a parameter-name prefix or a range like blocks.0-3";
            return null;
        }
        return Name().IsMatch(entry) ? null : $"'{entry}' is not a parameter-name prefix (like encoder.layers) or a range like blocks.0-3";
    }

    /// <summary>The prefixes an entry stands for: itself, or each numbered child of its range.</summary>
    public static IEnumerable<string> Prefixes(string entry)
    {
        if (Range().Match(entry) is not { Success: true } m) return new[] { entry };
        int from = int.Parse(m.Groups["from"].Value), to = int.Parse(m.Groups["to"].Value);
        return Enumerable.Range(from, to - from + 1).Select(i => m.Groups["stem"].Value + i);
    }

    /// <summary>Whether a parameter belongs to the stage named by <paramref name="entry"/>.</summary>
    public static bool Covers(string entry, string parameter) =>
        Prefixes(entry).Any(p => parameter == p || parameter.StartsWith(p + ".", StringComparison.Ordinal));

    /// <summary>
    /// Why a file is not a TorchScript archive (what torch.jit.save writes: a zip with the program's code), or null.
    /// A torch.save state_dict is a zip too, without code: it is what the built-in models load.
    /// </summary>
    public static string? NotTorchScript(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            if (zip.Entries.Any(e => e.FullName.Contains("/code/", StringComparison.Ordinal) || e.FullName.StartsWith("code/", StringComparison.Ordinal)))
                return null;
            return "it is a zip without TorchScript code (a torch.save state_dict? those are for the built-in models; export the backbone with torch.jit.save)";
        }
        catch (InvalidDataException e)
        {
            return $"it is not a TorchScript archive (torch.jit.save writes a zip; this is not one: {e.Message.TrimEnd('.')})";
        }
    }
}

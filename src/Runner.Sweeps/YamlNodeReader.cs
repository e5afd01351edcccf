using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Runner.Sweeps;

/// <summary>
/// Reads typed values out of YAML nodes and records every problem with the node's line and column, so that a user
/// sees all mistakes of a file at once.
/// </summary>
internal sealed class YamlNodeReader
{
    readonly string _file;
    public List<SweepError> Errors { get; } = new();

    /// <summary>What the file may mean but probably does not (the sweep still runs): shown beside a valid file's summary.</summary>
    public List<SweepError> Warnings { get; } = new();

    public YamlNodeReader(string file) => _file = file;

    public void Error(YamlNode node, string message, SourceRequest? upload = null) =>
        Errors.Add(new SweepError(_file, (int)node.Start.Line, (int)node.Start.Column, message, upload));

    public void Warn(YamlNode node, string message) =>
        Warnings.Add(new SweepError(_file, (int)node.Start.Line, (int)node.Start.Column, message));

    public YamlMappingNode? Mapping(YamlNode? node, string path)
    {
        if (node == null) return null;
        if (node is YamlMappingNode map) return map;
        Error(node, $"{path} must be a mapping (key: value lines)");
        return null;
    }

    /// <summary>Reports keys that are not allowed, suggesting the closest allowed one.</summary>
    public void CheckKeys(YamlMappingNode map, string path, params string[] allowed)
    {
        foreach (var key in map.Children.Keys)
        {
            string name = (key as YamlScalarNode)?.Value ?? "";
            if (!allowed.Contains(name))
                Error(key, $"unknown key '{Qualify(path, name)}'{DidYouMean.Hint(name, allowed)}");
        }
    }

    public static YamlNode? Get(YamlMappingNode? map, string key)
    {
        if (map == null) return null;
        foreach (var pair in map.Children)
            if (pair.Key is YamlScalarNode s && s.Value == key) return pair.Value;
        return null;
    }

    /// <summary>The key node itself (to point at "parameters:" rather than at its first entry).</summary>
    public static YamlNode? KeyNode(YamlMappingNode? map, string key) =>
        map?.Children.Keys.FirstOrDefault(k => k is YamlScalarNode s && s.Value == key);

    public YamlNode? Require(YamlMappingNode map, string key, string path)
    {
        var node = Get(map, key);
        if (node == null) Error(map, $"missing required key '{Qualify(path, key)}'");
        return node;
    }

    public string? Text(YamlNode? node, string path)
    {
        if (node == null) return null;
        if (node is YamlScalarNode { Value: { Length: > 0 } v }) return v;
        Error(node, $"{path} must be a non-empty text value");
        return null;
    }

    public string? Choice(YamlNode? node, string path, params string[] choices)
    {
        string? value = Text(node, path);
        if (value == null || choices.Contains(value)) return value;
        Error(node!, $"{path} must be one of {string.Join(", ", choices)}, got '{value}'{DidYouMean.Hint(value, choices)}");
        return null;
    }

    public int? Integer(YamlNode? node, string path, int min = int.MinValue)
    {
        if (node == null) return null;
        if (node is YamlScalarNode s && int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
        {
            if (SweepRules.AtLeast(path, v, min) is not { } problem) return v;
            Error(node, problem);
            return null;
        }
        Error(node, $"{path} must be a whole number, got {Describe(node)}");
        return null;
    }

    public bool? Boolean(YamlNode? node, string path)
    {
        if (node == null) return null;
        if (node is YamlScalarNode { Value: "true" or "false" } s) return s.Value == "true";
        Error(node, $"{path} must be true or false, got {Describe(node)}");
        return null;
    }

    public double? Real(YamlNode? node, string path)
    {
        if (node == null) return null;
        if (node is YamlScalarNode s && TryReal(s.Value, out double v)) return v;
        Error(node, $"{path} must be a number, got {Describe(node)}");
        return null;
    }

    public YamlSequenceNode? Sequence(YamlNode? node, string path)
    {
        if (node == null) return null;
        if (node is YamlSequenceNode seq)
        {
            if (seq.Children.Count > 0) return seq;
            Error(node, $"{path} must not be empty");
            return null;
        }
        Error(node, $"{path} must be a list such as [1, 2, 3]");
        return null;
    }

    /// <summary>A list of whole numbers with no duplicates.</summary>
    public int[]? Integers(YamlNode? node, string path)
    {
        var seq = Sequence(node, path);
        if (seq == null) return null;
        var values = new List<int>();
        bool ok = true;
        foreach (var item in seq.Children)
        {
            int? v = Integer(item, $"{path} entry");
            if (v == null) { ok = false; continue; }
            if (values.Contains(v.Value)) { Error(item, $"{path} lists {v} twice"); ok = false; }
            values.Add(v.Value);
        }
        return ok ? values.ToArray() : null;
    }

    public static bool TryReal(string? text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
        && !double.IsNaN(value) && !double.IsInfinity(value);

    public static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "something else",
    };

    static string Qualify(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}

using System.Text.Json;

namespace Runner.Cluster.Api;

/// <summary>
/// API tokens in a state folder's <c>api-tokens.json</c> (0600, replaced whole on each change). The coordinator reads
/// the file again when its time stamp or length changes, so `runner token` on the same machine counts at once.
/// </summary>
public sealed class ApiTokenFile(string file) : ApiTokens
{
    public const string Name = "api-tokens.json";

    readonly object _gate = new();
    (DateTime Stamp, long Length, IReadOnlyList<Entry> Entries) _loaded = (DateTime.MinValue, -1, Array.Empty<Entry>());

    protected override void Add(Entry entry)
    {
        lock (_gate) Save(List().Append(entry).ToList());
    }

    public override bool Revoke(string id)
    {
        lock (_gate)
        {
            var all = List();
            if (all.All(e => e.Id != id)) return false;
            Save(all.Where(e => e.Id != id).ToList());
            return true;
        }
    }

    public override IReadOnlyList<Entry> List()
    {
        lock (_gate)
        {
            var info = new FileInfo(file);
            if (!info.Exists) return Array.Empty<Entry>();
            if (info.LastWriteTimeUtc != _loaded.Stamp || info.Length != _loaded.Length)
                _loaded = (info.LastWriteTimeUtc, info.Length, JsonSerializer.Deserialize<Entry[]>(File.ReadAllText(file), Json) ?? Array.Empty<Entry>());
            return _loaded.Entries;
        }
    }

    void Save(IReadOnlyList<Entry> entries)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        string temp = file + ".tmp";
        File.WriteAllText(temp, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(temp, JsonSerializer.Serialize(entries, Json));
        File.Move(temp, file, overwrite: true);
        _loaded = (DateTime.MinValue, -1, Array.Empty<Entry>());
    }

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}

using System.Text.Json;
using Runner.Sweeps;

namespace Runner.Cli;

/// <summary>
/// Finished trials of the state folder, one JSON file per trial id (state/trials/ID.json), written atomically.
/// A trial is identified by its resolved configuration, so a result recorded by any sweep is reused by every other
/// sweep that contains the same trial.
/// </summary>
public sealed class TrialResultFiles(string stateFolder)
{
    public sealed record Record(string Id, IReadOnlyDictionary<string, object> Parameters, TrialResult Result);

    readonly string _folder = Path.Combine(stateFolder, "trials");

    public TrialResult? Find(string id)
    {
        string path = Path.Combine(_folder, id + ".json");
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.GetProperty("result").Deserialize<TrialResult>(JsonOutput.Options);
        }
        catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException)
        {
            return null; // unreadable: the trial runs again rather than trusting a damaged record
        }
    }

    public void Save(TrialSpec spec, TrialResult result)
    {
        Directory.CreateDirectory(_folder);
        string path = Path.Combine(_folder, spec.Id + ".json");
        string temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new { id = spec.Id, parameters = spec.Parameters(), result }, JsonOutput.Options));
        File.Move(temp, path, overwrite: true);
    }
}

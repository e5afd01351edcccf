using Runner.Sweeps;
using Runner.Training.Data;

namespace Runner.Cli;

/// <summary>
/// Loads a sweep file, checking dataset sizes against the data that will actually be used when it can be found
/// (image folders are counted by the sweep layer itself).
/// </summary>
public static class SweepLoader
{
    /// <summary>The sweep file, valid; its warnings (uneven classes...) are written to <paramref name="warnings"/>, one a line.</summary>
    public static SweepDefinition Load(string path, string? dataOption, TextWriter warnings)
    {
        if (!File.Exists(path)) throw new UsageException($"{path}: no such file");
        var definition = SweepFile.Load(path, Capacity(dataOption));
        foreach (var w in definition.Warnings) warnings.WriteLine($"{w.File}:{w.Line}:{w.Column}: warning: {w.Message}");
        return definition;
    }

    /// <summary>Images per class in the data a run will use (--data, else the sweep's own folder).</summary>
    public static TrainPerClassLookup Capacity(string? dataOption) => (dataset, sweepData) => TrainPerClass(dataset, dataOption, sweepData);

    static int? TrainPerClass(string dataset, string? dataOption, string? sweepData)
    {
        if (dataset != KnownDatasets.FashionMnist.Name) return KnownDatasets.Get(dataset)?.TrainPerClass;
        try
        {
            var data = FashionMnist.Load(DataLocator.Locate(dataOption, sweepData, allowDownload: false));
            return data.Train.MinPerClass(Enumerable.Range(0, FashionMnist.ClassNames.Count));
        }
        catch (DataException)
        {
            // No local copy yet: check against the published dataset; the run itself will report missing data.
            return KnownDatasets.FashionMnist.TrainPerClass;
        }
    }
}

using Runner.Sweeps;
using Runner.Training.Data;

namespace Runner.Cli;

/// <summary>
/// Loads a sweep file, checking dataset sizes against the data that will actually be used when it can be found
/// (image folders are counted by the sweep layer itself).
/// </summary>
public static class SweepLoader
{
    public static SweepDefinition Load(string path, string? dataOption)
    {
        if (!File.Exists(path)) throw new UsageException($"{path}: no such file");
        return SweepFile.Load(path, Capacity(dataOption));
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

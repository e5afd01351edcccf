namespace Runner.Sweeps;

/// <summary>Facts about the built-in datasets, used when validating class lists and dataset sizes.</summary>
public static class KnownDatasets
{
    /// <param name="ImageSide">the side of its images in pixels, which every model then sees; 0: resized to the model's size (image folders)</param>
    public sealed record DatasetFacts(string Name, IReadOnlyList<string> ClassNames, int TrainPerClass, int TestPerClass, int ImageSide = 0);

    public static readonly DatasetFacts FashionMnist = new(
        "fashion-mnist",
        new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
        TrainPerClass: 6000, TestPerClass: 1000, ImageSide: 28);

    static readonly DatasetFacts[] Datasets = { FashionMnist };

    public static IReadOnlyList<DatasetFacts> All => Datasets;

    public static DatasetFacts? Get(string name) => Datasets.FirstOrDefault(d => d.Name == name);

    /// <summary>Resolves a class given by index ("3") or by name ("Dress", case-insensitive); null if none.</summary>
    public static int? ResolveClass(DatasetFacts facts, string token)
    {
        if (int.TryParse(token, out int index))
            return index >= 0 && index < facts.ClassNames.Count ? index : null;
        for (int i = 0; i < facts.ClassNames.Count; i++)
            if (string.Equals(facts.ClassNames[i], token, StringComparison.OrdinalIgnoreCase)) return i;
        return null;
    }
}

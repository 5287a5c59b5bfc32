// A main server's export written by .NET's DataSet.WriteXml with its inline schema (Mono here).
// stdin: the table name, then a line of "column:TYPE" (the contract's types), then tab-separated values,
// \N for NULL and \t, \n, \\ escaped. Dates and timestamps are local DateTimes: written with the offset.
using System;
using System.Data;
using System.Globalization;

class DataSetWriter {
    static string Unescape(string v) {
        return v.Replace("\\t", "\t").Replace("\\n", "\n").Replace("\\r", "\r").Replace("\\\\", "\\");
    }
    static void Main(string[] args) {
        var table = new DataTable(Console.ReadLine());
        var set = new DataSet(); set.Tables.Add(table);
        var kinds = Console.ReadLine().Split('\t');
        foreach (var kind in kinds) {
            var parts = kind.Split(':');
            Type type = typeof(string);
            switch (parts[1]) {
                case "INT": type = typeof(long); break;
                case "DEC": case "QTY": type = typeof(decimal); break;
                case "DATE": case "TS": type = typeof(DateTime); break;
                case "BOOL": type = typeof(bool); break;
            }
            table.Columns.Add(parts[0], type);
        }
        string line;
        var inv = CultureInfo.InvariantCulture;
        while ((line = Console.ReadLine()) != null) {
            var values = line.Split('\t');
            var row = table.NewRow();
            for (int i = 0; i < kinds.Length; i++) {
                var v = values[i];
                var t = kinds[i].Split(':')[1];
                if (v == "\\N") { row[i] = DBNull.Value; continue; }
                switch (t) {
                    case "INT": row[i] = long.Parse(v, inv); break;
                    case "DEC": case "QTY": row[i] = decimal.Parse(v, inv); break;
                    case "DATE": case "TS": row[i] = DateTime.Parse(v, inv, DateTimeStyles.AssumeLocal); break;
                    case "BOOL": row[i] = v == "1" || v == "True"; break;
                    default: row[i] = Unescape(v); break;
                }
            }
            table.Rows.Add(row);
        }
        set.WriteXml(args[0], XmlWriteMode.WriteSchema);
    }
}

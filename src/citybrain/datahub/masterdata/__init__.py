"""Base libraries (基础库): 人口库 persons and 法人库 legal entities. A master record is one real
person or enterprise, merged from the records departments hold of it, each linked by source
record id. Life cycle: minted by a build, grown by later builds (its id never changes), retired
into the surviving master when linkage finds two masters are one. The big-data bureau owns the
masters; departments own the source records behind them."""

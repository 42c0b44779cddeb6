mod secure_jdk;
